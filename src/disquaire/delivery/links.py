"""Signed download links: one token (purpose "download") names the entitlements it opens.

A token is ``core.signing`` of ``{"n": [entitlement ids]}``, valid
``DISQUAIRE_DOWNLOAD_LINK_TTL`` seconds (24 hours by default). Every file URL of a
download page carries the page's token, so the files die with the page; the library and
the order page mint fresh ones on every visit. The token is checked again, with the
entitlement (not revoked, not locked, under its limit), on every file request.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse

from disquaire.core.signing import TokenInvalid, token_make, token_read
from disquaire.delivery.models import Entitlement

PURPOSE = "download"


def _ttl() -> int:
    return int(settings.DISQUAIRE_DOWNLOAD_LINK_TTL)


def download_token_make(*, entitlement_ids: Iterable[int], ttl_seconds: int | None = None) -> str:
    ids = sorted({int(pk) for pk in entitlement_ids})
    if not ids:
        raise ValueError("a download link needs at least one entitlement")
    return token_make(purpose=PURPOSE, payload={"n": ids}, ttl_seconds=ttl_seconds or _ttl())


def download_token_read(*, token: str) -> list[int]:
    """The entitlement ids of a valid token; TokenInvalid/TokenExpired otherwise."""
    payload = token_read(purpose=PURPOSE, token=token)
    ids = payload.get("n")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
        raise TokenInvalid("malformed download token")
    return ids


def download_page_url(*, entitlements: Iterable[Entitlement], absolute: bool = True) -> str:
    """A fresh, signed link to the download page of ``entitlements`` (for a receipt, an
    email or the library). Absolute (``SITE_URL``) unless ``absolute`` is False."""
    token = download_token_make(entitlement_ids=[e.pk for e in entitlements])
    path = reverse("delivery:page", kwargs={"token": token})
    return f"{settings.SITE_URL}{path}" if absolute else path
