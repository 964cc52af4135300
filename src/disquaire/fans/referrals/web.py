"""The browser's side of referrals: the first-touch cookie and the device cookie.

``dq_ref`` (signed, 30 days) holds the first share link a browser came through and when;
a later link does not replace it while it lasts. ``dq_device`` is a long-lived random
first-party cookie, set on a share-link visit and at checkout: the same browser buying
through its own owner's link is a self-referral. Both are HttpOnly and SameSite=Lax.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from disquaire.catalog.models import Artist
from disquaire.fans.referrals.services import (
    REFERRAL_WINDOW,
    ReferralVisit,
    device_clean,
    device_new,
)

REF_COOKIE = "dq_ref"
DEVICE_COOKIE = "dq_device"
_SALT = "disquaire.fans.referral"
DEVICE_MAX_AGE = 2 * 365 * 86400


def _secure() -> bool:
    return bool(settings.SESSION_COOKIE_SECURE)


def referral_cookie_read(request: HttpRequest) -> tuple[str, datetime | None]:
    """(share code, visit time) of the browser's first touch, or ("", None)."""
    value = request.get_signed_cookie(REF_COOKIE, default="", salt=_SALT, max_age=REFERRAL_WINDOW)
    code, _sep, stamp = str(value).partition(":")
    try:
        visited = datetime.fromtimestamp(int(stamp), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return "", None
    return code, visited


def device_read(request: HttpRequest) -> str:
    return device_clean(request.COOKIES.get(DEVICE_COOKIE))


def device_ensure(request: HttpRequest, response: HttpResponseBase | None = None) -> str:
    """The browser's device id, made up when it sent none (and kept on ``request`` for
    the rest of it); the cookie is set on ``response`` when the browser lacks it."""
    device = device_read(request)
    if not device:
        device = device_new()
        request.COOKIES[DEVICE_COOKIE] = device
        setattr(request, "_device_new", device)  # noqa: B010 - typed request has no slot
    if response is not None and getattr(request, "_device_new", "") == device:
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=_secure(),
        )
    return device


def referral_cookie_set(request: HttpRequest, response: HttpResponseBase, *, code: str) -> None:
    """Remember ``code`` as this browser's first touch, unless one is still running."""
    existing, _visited = referral_cookie_read(request)
    if existing:
        return
    now = int(timezone.now().timestamp())
    response.set_signed_cookie(
        REF_COOKIE,
        f"{code}:{now}",
        salt=_SALT,
        max_age=int(REFERRAL_WINDOW.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=_secure(),
    )


def referral_visit(request: HttpRequest, *, fan_email: str = "") -> ReferralVisit:
    """What the checkout passes to ``referral_attach`` for this browser."""
    code, visited = referral_cookie_read(request)
    return ReferralVisit(
        code=code, visited_at=visited, device=device_read(request), fan_email=fan_email
    )


@dataclass(frozen=True)
class CheckoutCredit:
    """The signed-in fan's store credit at a checkout: what they have with the artist,
    whether they spend it (``email`` is set then, for ``checkout_start``)."""

    fan_email: str = ""
    available: int = 0
    use: bool = False

    @property
    def email(self) -> str:
        return self.fan_email if self.use else ""


def checkout_credit(request: HttpRequest, artist: Artist) -> CheckoutCredit:
    """The credit this browser's fan may spend at ``artist``'s checkout. The checkbox
    starts ticked; a posted form (or the quote's ``?credit=0``) may untick it."""
    from disquaire.fans.referrals.selectors import credit_available
    from disquaire.fans.selectors import fan_current

    fan = fan_current(request)
    if fan is None:
        return CheckoutCredit()
    available = credit_available(artist=artist, email=fan.email)
    if request.method == "POST":
        use = request.POST.get("use_credit") == "1"
    else:
        use = request.GET.get("credit", "1") != "0"
    return CheckoutCredit(fan_email=fan.email, available=available, use=use and available > 0)
