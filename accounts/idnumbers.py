"""Validation of resident ID numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015).

REGULATION §4 fixes the order of the checks, and each failure has its own error code so a user is told exactly what
to fix. python-stdnum does the arithmetic; what it lacks is added here: the province list (stdnum checks a county
table that misses residence permits and refuses some real historic codes), the refusal of future birth dates, and
the refusal of 15-digit first-generation numbers.
"""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from groupchat.core.errors import ApplicationError

from . import errors  # noqa: F401  (registers this app's error codes)

ID_RE = re.compile(r"^\d{17}[\dX]$")
LEGACY_RE = re.compile(r"^\d{15}$")
PROVINCES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
     61, 62, 63, 64, 65, 71, 81, 82, 83]
)


def id_number_normalise(value: str) -> str:
    return (value or "").strip().upper()


def id_number_validate(value: str, *, today: datetime.date | None = None) -> str:
    """Return the normalised 18-character number or raise ApplicationError with the first failing check's code.

    Codes, in check order: ``id_number_legacy`` (15 digits), ``id_number_format``, ``id_number_province``,
    ``id_number_date``, ``id_number_future``, ``id_number_checksum``.
    """
    number = id_number_normalise(value)
    if LEGACY_RE.match(number):
        raise ApplicationError("id_number_legacy")
    if not ID_RE.match(number):
        raise ApplicationError("id_number_format")
    if int(number[:2]) not in PROVINCES:
        raise ApplicationError("id_number_province")
    try:
        born = ric.get_birth_date(number)
    except StdnumError as exc:
        raise ApplicationError("id_number_date") from exc
    if born > (today or timezone.localdate()):
        raise ApplicationError("id_number_future")
    if ric.calc_check_digit(number) != number[-1]:
        raise ApplicationError("id_number_checksum")
    return number


def id_number_mask(number: str) -> str:
    """``1****************X``: first and last character only."""
    number = id_number_normalise(number)
    if len(number) < 2:
        return "*" * len(number)
    return number[0] + "*" * (len(number) - 2) + number[-1]


PHONE_RE = re.compile(r"^1[3-9]\d{9}$")  # a mainland mobile number


def phone_validate(value: str | None) -> str:
    """The number stripped, or ``invalid_phone``."""
    phone = (value or "").strip()
    if not PHONE_RE.match(phone):
        raise ApplicationError("invalid_phone")
    return phone


def phone_mask(phone: str | None) -> str:
    """``138****5678``."""
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def name_mask(name: str) -> str:
    """``王**``: the first character only."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def uscc_validate(value: str) -> str:
    """Unified social credit code (18 characters, GB 32100 MOD 31 check). Codes ``uscc_format``, ``uscc_checksum``."""
    code = uscc.compact(value or "")
    if len(code) != 18 or not code[:2].isalnum():
        raise ApplicationError("uscc_format")
    try:
        return uscc.validate(code)
    except StdnumError as exc:
        code_name = "uscc_checksum" if type(exc).__name__ == "InvalidChecksum" else "uscc_format"
        raise ApplicationError(code_name) from exc
