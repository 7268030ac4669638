"""The platform's Ed25519 key: it signs compliance packages and network-log seals, so a regulator (or we, later) can
tell that a file or a seal came from this platform and was not changed since.

The private key is the urlsafe-base64 32-byte seed in ``GROUPCHAT_SIGNING_KEY``; production refuses to start without
it (groupchat/settings.py), embedded and test modes fall back to a published DEV-ONLY key.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings


@lru_cache(maxsize=4)
def _private_key(seed_b64: str) -> Ed25519PrivateKey:
    seed = base64.urlsafe_b64decode(seed_b64.encode())
    if len(seed) != 32:
        raise ValueError("GROUPCHAT_SIGNING_KEY must be the urlsafe base64 of a 32-byte Ed25519 seed")
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key() -> Ed25519PrivateKey:
    return _private_key(settings.SIGNING_KEY)


def public_key_bytes() -> bytes:
    return private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_b64() -> str:
    return base64.b64encode(public_key_bytes()).decode()


def key_id(public: bytes | None = None) -> str:
    """A short fingerprint of a public key, printed in manifests and seals so a reader knows which key to use."""
    return hashlib.sha256(public if public is not None else public_key_bytes()).hexdigest()[:16]


def sign(data: bytes) -> bytes:
    return private_key().sign(data)


def verify(data: bytes, signature: bytes, *, public: bytes | None = None) -> bool:
    """True when ``signature`` is the platform key's (or ``public``'s) signature of ``data``."""
    key = Ed25519PublicKey.from_public_bytes(public) if public is not None else private_key().public_key()
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
