r"""Validation of resident ID numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015).

REGULATION §4 fixes the order of the checks, and each failure has its own error code so a user is told exactly what
to fix. python-stdnum does the arithmetic; what it lacks is added here: the province list (stdnum checks a county
table that misses residence permits and refuses some real historic codes), the refusal of birth dates before 1900 or
in the future, and the refusal of 15-digit first-generation numbers.

Every number is normalised before it is validated, hashed or compared (``id_number_normalise``, ``phone_normalise``):
NFKC, then every Unicode decimal digit to its ASCII digit. Python's ``\d`` matches ``１`` and ``١`` too, so without
this ``１１０１…`` passed validation unchanged and had another keyed hash than ``1101…``: a second account per identity,
and a way around the identity blacklist. ``id_number_hmac`` is THE keyed hash of an ID number: the vault's uniqueness
check and moderation's identity blacklist both use it, so every spelling of one number meets the same entry.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from django.utils import timezone
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from groupchat.core.errors import ApplicationError

from . import crypto, errors  # noqa: F401  (registers this app's error codes)

# ASCII digits only: the patterns run on normalised text, and [0-9] never matches another script's digits.
ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")
LEGACY_RE = re.compile(r"^[0-9]{15}$")
EARLIEST_BIRTH = datetime.date(1900, 1, 1)
PROVINCES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
     61, 62, 63, 64, 65, 71, 81, 82, 83]
)


def ascii_digits(value: str) -> str:
    """NFKC (full-width ``１`` and ``Ｘ`` become ``1`` and ``X``), then any remaining decimal digit of another script
    (Arabic-Indic, Devanagari, ...) becomes its ASCII digit; whitespace of any kind is dropped."""
    text = unicodedata.normalize("NFKC", value or "")
    out = []
    for char in text:
        if char.isspace():
            continue
        digit = unicodedata.decimal(char, None)
        out.append(str(digit) if digit is not None else char)
    return "".join(out)


def id_number_normalise(value: str) -> str:
    """The canonical form of a typed ID number: ASCII digits, upper-case ``X``, no whitespace. Not validated."""
    return ascii_digits(value).upper()


def id_number_hmac(value: str) -> str:
    """The keyed blind index of an ID number in any spelling (normalised first). Use this, never
    ``crypto.blind_index`` on raw input, wherever an ID number is matched: uniqueness, blacklist, look-ups."""
    return crypto.blind_index(id_number_normalise(value))


def id_number_validate(value: str, *, today: datetime.date | None = None) -> str:
    """Return the normalised 18-character number or raise ApplicationError with the first failing check's code.

    Codes, in check order: ``id_number_legacy`` (15 digits), ``id_number_format``, ``id_number_province``,
    ``id_number_date``, ``id_number_too_old`` (before 1900), ``id_number_future``, ``id_number_checksum``.
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
    if born < EARLIEST_BIRTH:
        raise ApplicationError("id_number_too_old")
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


PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")  # a mainland mobile number


def phone_normalise(value: str | None) -> str:
    """The canonical form of a typed phone number: ASCII digits, no whitespace. Not validated."""
    return ascii_digits(value or "")


def phone_validate(value: str | None) -> str:
    """The normalised number, or ``invalid_phone``."""
    phone = phone_normalise(value)
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


def login_name_mask(value: str) -> str:
    """A typed login name as the network log keeps it: an ID number or a phone number masked as on screens, anything
    else its first and last character only (it may be a number in another form, or a password typed in the wrong box)."""
    text = ascii_digits(value or "")
    if ID_RE.match(text.upper()):
        return id_number_mask(text)
    if PHONE_RE.match(text):
        return phone_mask(text)
    if len(text) <= 2:
        return "*" * len(text)
    return text[0] + "*" * min(len(text) - 2, 16) + text[-1]


def login_name_hmac(value: str) -> str:
    """Keyed hash of a typed login name (normalised), so attempts on one name can be grouped without keeping it."""
    return crypto.blind_index(ascii_digits(value or "").upper(), purpose="login")


def name_mask(name: str) -> str:
    """``王**``: the first character only."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100's alphabet: no I, O, S, V, Z
# Position 1 registration authority and 2 organisation type are digits or letters (N agriculture, Y others, A the
# military establishment office, ...; the list grows by amendment, so any character of the alphabet is accepted);
# 3-8 the administrative division (digits); 9-17 the organisation code; 18 the MOD 31 check character.
USCC_RE = re.compile(rf"^[{USCC_CHARS}]{{2}}[0-9]{{6}}[{USCC_CHARS}]{{10}}$")


def uscc_validate(value: str) -> str:
    """Unified social credit code (18 characters, GB 32100 MOD 31 check). Codes ``uscc_format``, ``uscc_checksum``.

    python-stdnum computes the check character, but its ``validate`` wants positions 1-8 to be digits and so refuses
    every code of a letter authority (village collectives ``N``, others ``Y``): the format is checked here instead."""
    code = uscc.compact(ascii_digits(value)).upper()
    if not USCC_RE.match(code):
        raise ApplicationError("uscc_format")
    if uscc.calc_check_digit(code[:17]) != code[17]:
        raise ApplicationError("uscc_checksum")
    return code
