"""Reads about fans: who is signed in, whether they own a release, their library."""

from __future__ import annotations

from django.http import HttpRequest

from disquaire.catalog.models import Release
from disquaire.delivery.models import Entitlement
from disquaire.delivery.selectors import entitlement_owns_release, entitlements_for_email
from disquaire.fans.models import Fan
from disquaire.fans.services import SESSION_FAN_EMAIL, SESSION_FAN_ID


def _session_email(request: HttpRequest) -> str | None:
    session = getattr(request, "session", None)
    if session is None:
        return None
    email = session.get(SESSION_FAN_EMAIL)
    return email if isinstance(email, str) and email else None


def fan_current(request: HttpRequest) -> Fan | None:
    """The signed-in fan of this request, if any."""
    session = getattr(request, "session", None)
    if session is None or not session.get(SESSION_FAN_ID):
        return None
    return Fan.objects.filter(pk=session[SESSION_FAN_ID]).first()


def fan_has_release(*, request: HttpRequest, release: Release) -> bool:
    """The signed-in fan owns ``release`` (bought or redeemed, not refunded, released):
    the player lets them hear it in full whatever its preview policy.

    No query for a visitor without a session; one (the entitlement) for a signed-in fan
    (plus the session's own load)."""
    email = _session_email(request)
    if email is None:
        return False
    return entitlement_owns_release(email=email, release=release)


def fan_library(*, fan: Fan) -> list[Entitlement]:
    """Everything entitled to the fan's address, newest first, one row per item (the
    same release bought and redeemed shows once)."""
    seen: set[tuple[int | None, int | None]] = set()
    items = []
    for entitlement in entitlements_for_email(email=fan.email):
        key = (entitlement.release_id, entitlement.track_id)
        if key in seen:
            continue
        seen.add(key)
        items.append(entitlement)
    return items
