"""Fans' sign-in: passwordless, by a single-use link sent to their address.

The link carries a random token (256 bits); only its SHA-256 is stored, so a database
read does not let anyone sign in. Opening the link shows a button: the POST that follows
uses the token (one conditional UPDATE: ``used_at IS NULL AND expires_at > now``), so a
mail scanner following links cannot spend it. Requests are limited per address and per
client address (``ratelimit``), and always answered the same way, so the form does not
tell who has an account.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.delivery.ratelimit import rate_hit
from disquaire.delivery.selectors import email_normalise
from disquaire.delivery.services import entitlements_claim
from disquaire.fans.models import Fan, SignInLink

SESSION_FAN_ID = "fan_id"
SESSION_FAN_EMAIL = "fan_email"


class SignInRefused(Exception):
    """The sign-in link cannot be used; ``reason`` is "invalid", "used" or "expired"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TooManyRequests(Exception):
    """Too many sign-in links asked for this address or from this client."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def signin_link_send(*, email: str, ip: str) -> None:
    """Mail a sign-in link to ``email``; raise TooManyRequests over the limits."""
    address = email_normalise(email)
    window = _setting("DISQUAIRE_SIGNIN_WINDOW", 3600)
    per_ip = rate_hit(scope="signin-ip", value=ip, window=window)
    per_email = rate_hit(scope="signin-email", value=address, window=window)
    if per_ip > _setting("DISQUAIRE_SIGNIN_PER_IP", 20) or per_email > _setting(
        "DISQUAIRE_SIGNIN_PER_EMAIL", 5
    ):
        raise TooManyRequests
    token = secrets.token_urlsafe(32)
    ttl = _setting("DISQUAIRE_SIGNIN_LINK_TTL", 30 * 60)
    SignInLink.objects.create(
        email=address,
        token_hash=_hash(token),
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    url = settings.SITE_URL + reverse("fans:signin_confirm", kwargs={"token": token})
    body = render_to_string(
        "fans/email/signin.txt", {"url": url, "minutes": max(1, ttl // 60), "email": address}
    )
    send_mail(_("Your sign-in link"), body, settings.DEFAULT_FROM_EMAIL, [address])


def signin_link_check(*, token: str) -> SignInLink:
    """The link ``token`` names if it can still be used (for the confirm page)."""
    link = SignInLink.objects.filter(token_hash=_hash(token or "")).first()
    if link is None:
        raise SignInRefused("invalid")
    if link.used_at is not None:
        raise SignInRefused("used")
    if link.expires_at <= timezone.now():
        raise SignInRefused("expired")
    return link


def signin_complete(*, token: str) -> Fan:
    """Spend the sign-in link ``token`` (once) and return the fan, creating them on
    first sign-in and claiming the guest purchases made with their address."""
    link = signin_link_check(token=token)
    now = timezone.now()
    spent = SignInLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    if not spent:
        raise SignInRefused("used")
    fan, _created = Fan.objects.get_or_create(email=link.email)
    Fan.objects.filter(pk=fan.pk).update(last_login_at=now)
    entitlements_claim(email=fan.email)
    return fan


def fan_login(request: HttpRequest, fan: Fan) -> None:
    """Remember ``fan`` in this browser's session (a new session key: no fixation)."""
    request.session.cycle_key()
    request.session[SESSION_FAN_ID] = fan.pk
    request.session[SESSION_FAN_EMAIL] = fan.email


def fan_logout(request: HttpRequest) -> None:
    request.session.pop(SESSION_FAN_ID, None)
    request.session.pop(SESSION_FAN_EMAIL, None)
    request.session.cycle_key()
