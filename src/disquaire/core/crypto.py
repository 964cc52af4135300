"""Secrets kept at rest (a band's Stripe keys), sealed with a key derived from SECRET_KEY.

The sealing key is HKDF-SHA256 of the instance's SECRET_KEY with a purpose as its
``info``: a key sealed for "stripe.secret" cannot be opened as anything else, and the
database alone (a backup, a leaked dump) opens nothing. The seal is Fernet (AES-128-CBC
with HMAC-SHA256): tampering is detected, not decrypted into garbage.

Rotating SECRET_KEY: the keys in ``SECRET_KEY_FALLBACKS`` are tried too, so sealed values
stay readable until they are sealed again (saving the Payments page does).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

SALT = b"disquaire.core.crypto"


class SecretUnreadable(Exception):
    """A sealed value this instance cannot open (another SECRET_KEY, or altered)."""


def _fernet(secret_key: str, purpose: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=purpose.encode()).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def secret_seal(*, value: str, purpose: str) -> str:
    """``value`` encrypted and authenticated for ``purpose``; "" stays ""."""
    if not value:
        return ""
    return _fernet(settings.SECRET_KEY, purpose).encrypt(value.encode()).decode("ascii")


def secret_open(*, sealed: str, purpose: str) -> str:
    """The value ``secret_seal`` sealed; raises SecretUnreadable when no key opens it."""
    if not sealed:
        return ""
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    for secret_key in keys:
        try:
            return _fernet(secret_key, purpose).decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            continue
    raise SecretUnreadable(purpose)


def secret_mask(value: str, *, keep: int = 4) -> str:
    """What a page may show of a secret: its kind prefix and last characters."""
    if not value:
        return ""
    prefix = value[: value.find("_", 3) + 1] if value.count("_") >= 2 else ""
    return f"{prefix}…{value[-keep:]}" if len(value) > keep + len(prefix) + 4 else "…"
