"""Signed, expiring, purpose-scoped tokens to put in URLs (download links, stream URLs, ...).

A token is Django's signed object (``django.core.signing``, HMAC with ``SECRET_KEY`` and
``SECRET_KEY_FALLBACKS``, so keys can be rotated) of ``{"d": payload, "e": expiry}``,
compressed when that is shorter, in URL-safe base64 (letters, digits, ``-_:.``).

The purpose is the signing salt: a token made for "download" does not even have a valid
signature as a "stream" token. The expiry travels inside the signed value because the
reader does not know the lifetime the maker chose.

Callers answer ``TokenExpired`` with 410 (the link was real, ask for a new one) and
``TokenInvalid`` with 403. Expiry is only reported for a correctly signed token, so a
forged or altered token never learns anything beyond "invalid".
"""

from __future__ import annotations

import time
import zlib
from typing import Any

from django.core import signing

SALT_PREFIX = "disquaire.token."


class TokenError(Exception):
    """Base class: the token cannot be used."""


class TokenInvalid(TokenError):
    """Malformed, altered, signed with an unknown key, or made for another purpose."""


class TokenExpired(TokenError):
    """Correctly signed for this purpose, but its lifetime is over."""


def _now() -> float:
    return time.time()


def _salt(purpose: str) -> str:
    if not purpose or not isinstance(purpose, str):
        raise ValueError("a token needs a purpose")
    return SALT_PREFIX + purpose


def token_make(*, purpose: str, payload: dict[str, Any], ttl_seconds: int) -> str:
    """Sign ``payload`` (JSON-serialisable) for ``purpose``, valid for ``ttl_seconds``."""
    if not isinstance(payload, dict):
        raise TypeError("the payload must be a dict")
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    expires = int(_now()) + int(ttl_seconds)
    return signing.Signer(salt=_salt(purpose)).sign_object(
        {"d": payload, "e": expires}, compress=True
    )


def token_read(*, purpose: str, token: str) -> dict[str, Any]:
    """The payload of a valid, unexpired ``token`` made for ``purpose``.

    Raises TokenInvalid for a bad or foreign token, TokenExpired for an outdated one.
    """
    salt = _salt(purpose)
    if not isinstance(token, str) or not token:
        raise TokenInvalid("no token")
    try:
        value = signing.Signer(salt=salt).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeError, zlib.error) as exc:
        # BadSignature for a wrong signature; the others for a correctly signed
        # value that does not decode (only possible with a leaked key).
        raise TokenInvalid("invalid token") from exc
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("d"), dict)
        or not isinstance(value.get("e"), int)
    ):
        raise TokenInvalid("invalid token")
    if _now() >= value["e"]:
        raise TokenExpired("token expired")
    payload: dict[str, Any] = value["d"]
    return payload
