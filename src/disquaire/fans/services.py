"""Fans' sign-in: by a single-use link sent to their address, or by an optional password.

The link carries a random token (256 bits); only its SHA-256 is stored, so a database
read does not let anyone sign in. Opening the link shows a button: the POST that follows
uses the token (one conditional UPDATE: ``used_at IS NULL AND expires_at > now``), so a
mail scanner following links cannot spend it. Requests are limited per address and per
client address (``ratelimit``), and always answered the same way, so the form does not
tell who has an account.

A browser stays signed in while its session's key matches the fan's password and
"session epoch" (``fan_session_key``): setting, changing or removing the password, or
"sign out on every other device", signs every other browser out; the browser that did
it gets the new key.

A fan who signed in by link may set a password from their library. Password sign-in is
limited per client address and per address too, answers a wrong password, an unknown
address and an address without a password with one same refusal, and hashes a dummy when
there is nothing to check against, so neither its answer nor its timing tells them apart.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.mail import send_mail
from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from disquaire.core.addresses import email_normalise
from disquaire.core.ratelimit import rate_hit
from disquaire.delivery.services import entitlements_claim
from disquaire.fans.models import Fan, SignInLink

SESSION_FAN_ID = "fan_id"
SESSION_FAN_EMAIL = "fan_email"
SESSION_FAN_KEY = "fan_key"


class SignInRefused(Exception):
    """The sign-in link cannot be used; ``reason`` is "invalid", "used" or "expired"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TooManyRequests(Exception):
    """Too many sign-in links asked for, or password attempts made, for this address or
    from this client."""


class PasswordSignInRefused(Exception):
    """Wrong password, unknown address or no password set: deliberately one case."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _limit(*, scope: str, ip: str, address: str) -> None:
    """Count one attempt of ``scope`` (``signin``, ``signin-password``) for the client and
    for the address; raise TooManyRequests past either limit."""
    if scope == "signin":
        per_ip, per_email = settings.DISQUAIRE_SIGNIN_PER_IP, settings.DISQUAIRE_SIGNIN_PER_EMAIL
    else:
        per_ip = settings.DISQUAIRE_SIGNIN_PASSWORD_PER_IP
        per_email = settings.DISQUAIRE_SIGNIN_PASSWORD_PER_EMAIL
    window = settings.DISQUAIRE_SIGNIN_WINDOW
    by_ip = rate_hit(scope=f"{scope}-ip", value=ip, window=window)
    by_email = rate_hit(scope=f"{scope}-email", value=address, window=window)
    if by_ip > per_ip or by_email > per_email:
        raise TooManyRequests


def signin_link_send(*, email: str, ip: str) -> None:
    """Mail a sign-in link to ``email``; raise TooManyRequests over the limits."""
    address = email_normalise(email)
    _limit(scope="signin", ip=ip, address=address)
    token = secrets.token_urlsafe(32)
    ttl = settings.DISQUAIRE_SIGNIN_LINK_TTL
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
    _signed_in(fan=fan)
    return fan


def _signed_in(*, fan: Fan) -> None:
    """What every sign-in does, by link or password: note the time, claim the guest
    purchases made with the fan's address."""
    Fan.objects.filter(pk=fan.pk).update(last_login_at=timezone.now())
    entitlements_claim(email=fan.email)


def fan_session_key(fan: Fan) -> str:
    """What a browser signed in as ``fan`` must hold in its session: an HMAC (the site's
    secret) of the fan's password hash and session epoch."""
    return salted_hmac("disquaire.fans.session", f"{fan.password}\n{fan.session_epoch}").hexdigest()


def fan_password_set(*, fan: Fan, password: str, request: HttpRequest | None = None) -> None:
    """Give ``fan`` a password (or a new one), checked by the site's password validators;
    raise django.core.exceptions.ValidationError with their messages when it is too weak.
    Every other browser is signed out; ``request``'s stays signed in."""
    # Typed for auth's User, but the validators only read attributes: the similarity
    # check compares the password with the fan's email address.
    validate_password(password, user=fan)  # type: ignore[arg-type]
    fan.password = make_password(password)
    fan.save(update_fields=["password"])
    _session_renew(request, fan)


def fan_password_remove(*, fan: Fan, request: HttpRequest | None = None) -> None:
    """Forget ``fan``'s password: the email link is again the only way in. Every other
    browser is signed out; ``request``'s stays signed in."""
    fan.password = ""
    fan.save(update_fields=["password"])
    _session_renew(request, fan)


def fan_signout_elsewhere(*, fan: Fan, request: HttpRequest) -> None:
    """Sign ``fan`` out of every browser but ``request``'s (a lost phone, a shared
    computer)."""
    Fan.objects.filter(pk=fan.pk).update(session_epoch=F("session_epoch") + 1)
    fan.refresh_from_db(fields=["session_epoch"])
    _session_renew(request, fan)


def _session_renew(request: HttpRequest | None, fan: Fan) -> None:
    """After the fan's key changed: this browser keeps its place (new session key too)."""
    if request is not None and request.session.get(SESSION_FAN_ID) == fan.pk:
        request.session.cycle_key()
        request.session[SESSION_FAN_KEY] = fan_session_key(fan)


def fan_password_signin(*, email: str, password: str, ip: str) -> Fan:
    """The fan whose address is ``email`` if ``password`` is theirs; claims their guest
    purchases like a link sign-in. Raise TooManyRequests over the limits (checked before
    any hashing), PasswordSignInRefused otherwise."""
    address = email_normalise(email)
    _limit(scope="signin-password", ip=ip, address=address)
    fan = Fan.objects.filter(email=address).first() if address else None
    if fan is None or not fan.password:
        # Hash anyway, as long as checking a real hash: the timing must not tell who has one.
        make_password(password)
        raise PasswordSignInRefused

    def upgrade(raw: str) -> None:  # the hasher or its work factor changed since
        # Kept on the object too: the session key made at sign-in must match the new hash.
        fan.password = make_password(raw)
        Fan.objects.filter(pk=fan.pk).update(password=fan.password)

    if not check_password(password, fan.password, setter=upgrade):
        raise PasswordSignInRefused
    _signed_in(fan=fan)
    return fan


def fan_login(request: HttpRequest, fan: Fan) -> None:
    """Remember ``fan`` in this browser's session (a new session key: no fixation)."""
    request.session.cycle_key()
    request.session[SESSION_FAN_ID] = fan.pk
    request.session[SESSION_FAN_EMAIL] = fan.email
    request.session[SESSION_FAN_KEY] = fan_session_key(fan)


def fan_logout(request: HttpRequest) -> None:
    for key in (SESSION_FAN_ID, SESSION_FAN_EMAIL, SESSION_FAN_KEY):
        request.session.pop(key, None)
    request.session.cycle_key()
