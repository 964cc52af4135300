"""Reads about fans: who is signed in, whether they own a release, their library."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from disquaire.catalog.models import Release
from disquaire.delivery.models import Entitlement
from disquaire.delivery.selectors import entitlement_owns_release, entitlements_for_email
from disquaire.fans.models import Fan
from disquaire.fans.services import SESSION_FAN_ID, SESSION_FAN_KEY, fan_session_key


def fan_current(request: HttpRequest) -> Fan | None:
    """The fan signed in on this request, or None: no fan in the session, or a session
    the fan has since signed out (setting, changing or removing the password, or "sign
    out on every other device", changes the key a session must hold). One query; none
    without a fan in the session."""
    session = getattr(request, "session", None)
    fan_id = session.get(SESSION_FAN_ID) if session is not None else None
    if not isinstance(fan_id, int):
        return None
    fan = Fan.objects.filter(pk=fan_id).first()
    held = session.get(SESSION_FAN_KEY) if session is not None else None
    if fan is None or not isinstance(held, str):
        return None
    return fan if constant_time_compare(held, fan_session_key(fan)) else None


def fan_has_release(*, request: HttpRequest, release: Release) -> bool:
    """The signed-in fan owns ``release`` (bought or redeemed, not refunded, released):
    the player lets them hear it in full whatever its preview policy.

    No query for a visitor without a session; two (the fan, the entitlement) for a
    signed-in fan (plus the session's own load)."""
    fan = fan_current(request)
    return fan is not None and entitlement_owns_release(email=fan.email, release=release)


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
