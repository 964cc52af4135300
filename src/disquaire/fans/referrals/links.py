"""Share links and who came through them: visits, device cookies, referred orders."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from disquaire.catalog.models import Release
from disquaire.core.addresses import email_normalise
from disquaire.core.queries import insert_rows
from disquaire.fans.referrals.models import DeviceSeen, Referral, ShareLink
from disquaire.orders.models import Order

REFERRAL_WINDOW = timedelta(days=30)
DEVICE_RE_LENGTH = 32


def device_new() -> str:
    """A fresh device cookie value: random, says nothing about the browser."""
    return secrets.token_hex(DEVICE_RE_LENGTH // 2)


def device_clean(value: str | None) -> str:
    """The device cookie if it looks like one of ours, else ""."""
    value = (value or "").strip()
    ok = len(value) == DEVICE_RE_LENGTH and all(c in "0123456789abcdef" for c in value)
    return value if ok else ""


# --- share links and visits --------------------------------------------------------------


def share_link_for(*, email: str, release: Release) -> ShareLink:
    """The fan's personal link to ``release`` (made on first ask, the same ever after)."""
    # Made at the same moment by another request: its insert fails on the unique key (in
    # a savepoint of its own) and get_or_create reads the link back.
    link, _created = ShareLink.objects.get_or_create(
        email=email_normalise(email),
        release=release,
        defaults={"artist_id": release.artist_id},
    )
    return link


def device_seen(*, email: str, device: str) -> None:
    """Remember that ``device`` was used by ``email`` (its own checkouts and visits)."""
    address, device = email_normalise(email), device_clean(device)
    if not address or not device:
        return
    # One statement, no transaction of its own: a pair already seen (before, or at the
    # same moment by another request) is left as it is, with its first ``seen_at``.
    insert_rows([DeviceSeen(email=address, device=device)], ignore_conflicts=True)


def share_link_visit(*, code: str, fan_email: str = "", device: str = "") -> ShareLink | None:
    """A visit through a share link: the link (None when unknown). The referrer's own
    visit (signed in as them) only teaches us their device."""
    link = ShareLink.objects.filter(code=code).select_related("release__artist").first()
    if link is None:
        return None
    if fan_email and email_normalise(fan_email) == link.email:
        device_seen(email=link.email, device=device)
        return link
    ShareLink.objects.filter(pk=link.pk).update(visits=F("visits") + 1)
    return link


@dataclass(frozen=True)
class ReferralVisit:
    """What the buyer's browser tells the checkout: the first share link it came
    through and when, its device cookie, and the fan signed in (if any)."""

    code: str = ""
    visited_at: datetime | None = None
    device: str = ""
    fan_email: str = ""


def _self_referral(*, order: Order, link: ShareLink, visit: ReferralVisit) -> str:
    """Why the buyer is the referrer ("" when nothing says so), before payment."""
    if email_normalise(order.email) == link.email:
        return "email"
    if visit.fan_email and email_normalise(visit.fan_email) == link.email:
        return "account"
    device = device_clean(visit.device)
    if device and DeviceSeen.objects.filter(email=link.email, device=device).exists():
        return "device"
    return ""


def referral_attach(
    *,
    order: Order,
    visit: ReferralVisit,
    source: str = "link",
    now: datetime | None = None,
) -> Referral | None:
    """Tie a new order to the share link its buyer came through, if within the window.

    Called by the checkout right after the order is written. Also remembers the buyer's
    device with the order's address (and the signed-in fan's). ``source``: "link", or
    the merch table app's "table" for a fan's QR code scanned there (same rules).
    Returns the referral (refused ones too, with why), or None.
    """
    now = now or timezone.now()
    device_seen(email=order.email, device=visit.device)
    if visit.fan_email:
        device_seen(email=visit.fan_email, device=visit.device)
    if not visit.code or visit.visited_at is None:
        return None
    if not (now - REFERRAL_WINDOW <= visit.visited_at <= now):
        return None
    link = ShareLink.objects.filter(code=visit.code).first()
    if link is None or link.artist_id != order.artist_id:
        return None
    why = _self_referral(order=order, link=link, visit=visit)
    return Referral.objects.create(
        order=order,
        link=link,
        artist_id=order.artist_id,
        referrer_email=link.email,
        source=source,
        visited_at=visit.visited_at,
        buyer_device=device_clean(visit.device),
        buyer_fan_email=email_normalise(visit.fan_email),
        state=Referral.State.REFUSED if why else Referral.State.OPEN,
        refusal=f"self:{why}" if why else "",
    )
