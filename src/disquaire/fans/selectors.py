"""Reads about fans: who is signed in, whether they own a release, their library."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from disquaire.catalog.models import Release
from disquaire.delivery.models import Entitlement
from disquaire.delivery.selectors import entitlement_owns_release, entitlements_for_email
from disquaire.fans.models import Fan
from disquaire.fans.services import SESSION_FAN_ID, SESSION_FAN_KEY, fan_session_key


def _session_holds_key(request: HttpRequest, *, password: str, epoch: int) -> bool:
    """The session was signed in since the fan's password and session epoch were last
    changed (setting, changing or removing the password, or "sign out on every other
    device", signs every other browser out)."""
    held = request.session.get(SESSION_FAN_KEY)
    return isinstance(held, str) and constant_time_compare(
        held, fan_session_key(password=password, epoch=epoch)
    )


def _session_fan_id(request: HttpRequest) -> int | None:
    session = getattr(request, "session", None)
    fan_id = session.get(SESSION_FAN_ID) if session is not None else None
    return fan_id if isinstance(fan_id, int) else None


def fan_current(request: HttpRequest) -> Fan | None:
    """The signed-in fan of this request, if any (one query; none without a fan in the
    session)."""
    fan_id = _session_fan_id(request)
    fan = Fan.objects.filter(pk=fan_id).first() if fan_id else None
    if fan is None or not _session_holds_key(
        request, password=fan.password, epoch=fan.session_epoch
    ):
        return None
    return fan


def fan_has_release(*, request: HttpRequest, release: Release) -> bool:
    """The signed-in fan owns ``release`` (bought or redeemed, not refunded, released):
    the player lets them hear it in full whatever its preview policy.

    No query for a visitor without a session; two (the fan, the entitlement) for a
    signed-in fan (plus the session's own load)."""
    fan_id = _session_fan_id(request)
    row = (
        Fan.objects.filter(pk=fan_id).values("email", "password", "session_epoch").first()
        if fan_id
        else None
    )
    if row is None or not _session_holds_key(
        request, password=row["password"], epoch=row["session_epoch"]
    ):
        return False
    return entitlement_owns_release(email=row["email"], release=release)


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
