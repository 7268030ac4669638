"""Field encryption and the blind index for the identity vault (G6b, PIPL Art 51).

- ``encrypt``/``decrypt``: MultiFernet over ``settings.FIELD_ENCRYPTION_KEYS`` (newest first). Rows written with an
  older key stay readable after a new key is prepended; ``identity_reencrypt`` moves them to the newest key.
- ``blind_index``: keyed HMAC-SHA256 (``settings.BLIND_INDEX_KEY``) of a normalised value, for uniqueness and
  blacklist checks without decrypting. Encoded base64url, not hex: a hex digest is mostly digits and would now and
  then contain a run of 17 digits, which is exactly what a leak scan looks for.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.views.decorators.debug import sensitive_variables


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("settings.FIELD_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


# Error reports list each frame's variables: these functions hold plaintext identity data.
@sensitive_variables("text")
def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


@sensitive_variables()
def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """Re-encrypt ``token`` with the newest key (decrypting with whichever key made it)."""
    return fernet().rotate(token.encode()).decode()


def is_current(token: str) -> bool:
    """True when ``token`` was made with the newest key."""
    newest = Fernet(settings.FIELD_ENCRYPTION_KEYS[0])
    try:
        newest.decrypt(token.encode())
    except Exception:
        return False
    return True


def blind_index(value: str, *, purpose: str = "id") -> str:
    key = settings.BLIND_INDEX_KEY.encode()
    digest = hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
