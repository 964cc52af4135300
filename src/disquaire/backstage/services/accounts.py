"""Backstage accounts: the first operator, sign-up, email verification, sign-in limits."""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from disquaire.core.addresses import email_normalise
from disquaire.core.ratelimit import rate_count, rate_hit
from disquaire.core.signing import TokenInvalid, token_make, token_read

VERIFY_PURPOSE = "backstage.verify"


def _user_model() -> type[User]:
    model: type[User] = get_user_model()
    return model


def login_limited(*, ip: str, email: str) -> bool:
    """Too many failed sign-ins from ``ip`` or for ``email`` in the current window."""
    return rate_count(scope="login-ip", value=ip) >= settings.BACKSTAGE_LOGIN_FAILURES_PER_IP or (
        bool(email)
        and rate_count(scope="login-email", value=email)
        >= settings.BACKSTAGE_LOGIN_FAILURES_PER_EMAIL
    )


def login_failure_record(*, ip: str, email: str) -> None:
    """Count one failed sign-in against ``ip`` and ``email``."""
    window = settings.BACKSTAGE_LOGIN_WINDOW
    rate_hit(scope="login-ip", value=ip, window=window)
    if email:
        rate_hit(scope="login-email", value=email, window=window)


def password_reset_limited(*, ip: str, email: str) -> bool:
    """Count one password-reset request (each mails someone); True past either limit."""
    window = settings.BACKSTAGE_PASSWORD_RESET_WINDOW
    by_ip = rate_hit(scope="reset-ip", value=ip, window=window)
    by_email = rate_hit(scope="reset-email", value=email_normalise(email), window=window)
    return (
        by_ip > settings.BACKSTAGE_PASSWORD_RESET_PER_IP
        or by_email > settings.BACKSTAGE_PASSWORD_RESET_PER_EMAIL
    )


def operator_needed() -> bool:
    """True on a fresh install: nobody can sign in yet."""
    return not _user_model().objects.exists()


SETUP_CODE_FILE = "setup-code"


def _setup_code_path() -> Path:
    return Path(settings.DATA_DIR) / SETUP_CODE_FILE


def setup_code_ensure() -> str | None:
    """The one-time code that creating the operator's account asks for, written once into
    the data dir (mode 0600) and printed by ``serve``; None once the operator exists.

    Only whoever installed the instance can read it (as Jupyter's token or Grafana's
    first password): the first visitor of a public server cannot claim it.
    """
    if not operator_needed():
        return None
    path = _setup_code_path()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    code = secrets.token_urlsafe(15)
    with os.fdopen(fd, "w") as handle:
        handle.write(code + "\n")
    return code


def setup_code_valid(code: str) -> bool:
    """``code`` is the current setup code (compared in constant time)."""
    expected = setup_code_ensure()
    return bool(expected) and hmac.compare_digest(code.strip().encode(), str(expected).encode())


def operator_create(*, email: str, password: str, setup_code: str) -> User:
    """The first account, which runs the instance (superuser); refused once anyone
    exists or without the setup code. The code is then removed: it served once."""
    if not setup_code_valid(setup_code):
        raise PermissionError("wrong setup code")
    with transaction.atomic():
        if not operator_needed():
            raise PermissionError("the operator already exists")
        email = email_normalise(email)
        user = _user_model().objects.create_superuser(
            username=email, email=email, password=password
        )
    _setup_code_path().unlink(missing_ok=True)
    return user


def _password_seal(user: User) -> str:
    """Ties a verification link to the password it was sent for: a later sign-up with
    the same address (a new password) makes earlier links useless."""
    return salted_hmac("disquaire.backstage.verify", user.password).hexdigest()[:20]


def user_signup(*, email: str, password: str, next_url: str = "") -> User:
    """A band member's account, inactive until the emailed link is followed.

    The answer never tells whether the address has an account. Signing up again with
    an address not yet confirmed sets the new password and sends a new link (whoever
    reads that mailbox decides; earlier links stop working), so nobody can hold an
    address hostage by signing up with it first. For an address with an account, its
    owner is mailed that someone tried, with the ways to sign in; nothing changes.
    """
    email = email_normalise(email)
    users = _user_model().objects
    user = users.filter(username=email).first()
    # An account that has signed in before is a real one, even if an operator has
    # since turned it off: a sign-up never changes it (nor turns it back on).
    if user is not None and (user.is_active or user.last_login is not None):
        send_mail(
            _("Someone tried to create an account with your address"),
            render_to_string(
                "backstage/emails/signup_existing.txt",
                {
                    "email": email,
                    "login": settings.SITE_URL + reverse("backstage:login"),
                    "reset": settings.SITE_URL + reverse("backstage:password_reset"),
                },
            ),
            None,
            [email],
        )
        return user
    if user is None:
        user = users.create_user(username=email, email=email, password=password, is_active=False)
    else:
        user.set_password(password)
        user.save(update_fields=["password"])
    token = token_make(
        purpose=VERIFY_PURPOSE,
        payload={"u": user.pk, "n": next_url, "p": _password_seal(user)},
        ttl_seconds=settings.BACKSTAGE_VERIFY_DAYS * 86400,
    )
    link = settings.SITE_URL + reverse("backstage:verify", kwargs={"token": token})
    send_mail(
        _("Confirm your email address"),
        render_to_string("backstage/emails/verify.txt", {"link": link, "email": email}),
        None,
        [email],
    )
    return user


@dataclass(frozen=True)
class Verification:
    """What a verification link says: whose account, where to go next, and whether
    following it now would activate the account (only then does it sign in)."""

    user: User
    next_url: str
    pending: bool


def user_verification_read(*, token: str) -> Verification:
    """Read a verification link without acting on it (the page a GET shows).

    Raises ``TokenInvalid``/``TokenExpired`` from ``disquaire.core.signing``; a link
    sent for an earlier password of a still unconfirmed account is invalid, and so is a
    link for an account an operator has turned off.
    """
    payload = token_read(purpose=VERIFY_PURPOSE, token=token)
    user = _user_model().objects.filter(pk=payload["u"]).first()
    if user is None:
        raise TokenInvalid("no such account")
    next_url = str(payload.get("n") or "")
    if user.is_active:
        return Verification(user=user, next_url=next_url, pending=False)
    if user.last_login is not None:
        raise TokenInvalid("account turned off")  # not ours to turn back on
    if not constant_time_compare(str(payload.get("p", "")), _password_seal(user)):
        raise TokenInvalid("superseded by a later sign-up")
    return Verification(user=user, next_url=next_url, pending=True)


def user_verify(*, token: str) -> Verification:
    """Activate the account named in ``token`` (the POST that confirms the link).

    ``pending`` in the answer is True for the one call that activated the account: only
    that call may sign in. Followed again (or after the account was confirmed another
    way), the link signs nobody in, so a leaked or forwarded link is no login link.
    The activation is one conditional UPDATE: two concurrent confirmations activate once.
    """
    found = user_verification_read(token=token)
    if not found.pending:
        return found
    activated = (
        _user_model()
        .objects.filter(
            pk=found.user.pk,
            is_active=False,
            last_login__isnull=True,
            password=found.user.password,
        )
        .update(is_active=True)
    )
    found.user.refresh_from_db()
    return Verification(user=found.user, next_url=found.next_url, pending=bool(activated))
