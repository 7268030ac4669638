"""Public group codes (REGULATION G8b): 10 digits, random, never sequential, with a Luhn check digit.

Uniqueness over every group ever is kept by the insert-only ``GroupCode`` table, so a code is never reused, even if
a group row were deleted. The check digit lets a mistyped code be refused before any database look-up.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from stdnum import luhn

from .models import GroupCode

CODE_LENGTH = 10


def is_well_formed(code: str) -> bool:
    """A code is 10 digits, does not start with 0, and its last digit is the Luhn check digit of the first nine."""
    return len(code) == CODE_LENGTH and code.isdigit() and code[0] != "0" and luhn.is_valid(code)


def _candidate() -> str:
    body = str(secrets.randbelow(9 * 10**8) + 10**8)  # 9 random digits, first non-zero
    return body + luhn.calc_check_digit(body)


def group_code_issue(*, attempts: int = 20) -> str:
    """Reserve a fresh code forever. Collisions (1 in ~10^9 per draw early on) are retried."""
    for _ in range(attempts):
        code = _candidate()
        try:
            with transaction.atomic():
                GroupCode.objects.create(code=code)
            return code
        except IntegrityError:
            continue
    raise RuntimeError("could not issue a unique group code")
