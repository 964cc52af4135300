"""Who may listen to a release: preview links, full access, the anonymous listener's cookie."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from disquaire.catalog.models import (
    Membership,
    Release,
)

LISTENER_COOKIE = "dq_listener"


LISTENER_SALT = "disquaire.listener"


_LISTENER_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")


class ListenRefused(Exception):
    """The visitor may not listen to this release at all (answered with 404)."""


@dataclass(frozen=True)
class Listener:
    """Whose plays are counted: ``key`` for PlayCount, ``new_cookie`` to set if any."""

    key: str
    new_cookie: str | None = None


def release_preview_digest(*, release: Release) -> str:
    """A short digest of the release's preview token, safe to put in a stream token.

    Stream tokens are signed but readable, so they carry this rather than the preview
    token itself; regenerating the preview token changes it, which revokes them.
    """
    mac = hmac.new(
        settings.SECRET_KEY.encode(), b"preview:" + release.preview_token.encode(), hashlib.sha256
    )
    return mac.hexdigest()[:16]


def release_preview_valid(*, release: Release, preview: str | None) -> bool:
    """``preview`` (from ``?preview=``) is the release's current preview token."""
    if not preview or release.visibility == Release.Visibility.DRAFT:
        return False
    return hmac.compare_digest(preview.encode(), release.preview_token.encode())


def release_preview_url(*, release: Release) -> str:
    """The absolute preview link of ``release``: its page with ``?preview=<token>``.

    Whoever holds it can open an unlisted or not-yet-public release and hear every
    track in full, without play counting. Drafts are never shown, link or not.
    """
    return f"{settings.SITE_URL}{release.get_absolute_url()}?preview={release.preview_token}"


def release_preview_link_revoke(*, release: Release) -> str:
    """Give ``release`` a new preview token, so the old link and every stream URL minted
    through it stop working; return the new preview URL."""
    release.preview_token = secrets.token_urlsafe(18)
    release.save(update_fields=["preview_token", "updated_at"])
    return release_preview_url(release=release)


def listen_gate(*, release: Release, preview: str | None) -> bool:
    """Whether the visitor came through a valid preview link; raise ListenRefused when
    they may not listen at all (a draft, or a non-public release without the link)."""
    if release.visibility == Release.Visibility.DRAFT:
        raise ListenRefused
    is_preview = release_preview_valid(release=release, preview=preview)
    if not is_preview and not release.is_public:
        raise ListenRefused
    return is_preview


def listener_has_full_access(*, release: Release, request: HttpRequest) -> bool:
    """Whether this visitor may always hear ``release`` in full, whatever its policy.

    A fan who owns the release (bought or redeemed) and a member of its band. No query
    for a visitor without a session; called for every listen-data request.
    """
    from disquaire.fans.selectors import fan_has_release

    user = getattr(request, "user", None)
    if (
        user is not None
        and user.is_authenticated
        and Membership.objects.filter(artist_id=release.artist_id, user=user).exists()
    ):
        return True  # a member of the band hears its records in full
    return fan_has_release(request=request, release=release)


def listener_identify(request: HttpRequest) -> Listener:
    """The listener whose plays are counted: the signed-in fan, else this device.

    A device is a random id in the signed, HttpOnly ``dq_listener`` cookie; a new one is
    returned in ``new_cookie`` for the view to set (``listener_remember``). Clearing the
    cookie resets a device's plays: limited plays are a nudge, not DRM.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Listener(key=f"u:{user.pk}")
    value = request.get_signed_cookie(LISTENER_COOKIE, default=None, salt=LISTENER_SALT)
    if value and _LISTENER_RE.match(value):
        return Listener(key=f"d:{value}")
    fresh = secrets.token_urlsafe(16)
    return Listener(key=f"d:{fresh}", new_cookie=fresh)


def listener_remember(
    *, response: HttpResponseBase, request: HttpRequest, listener: Listener | None
) -> None:
    """Set the device cookie on ``response`` when ``listener`` was just made up."""
    if listener is None or listener.new_cookie is None:
        return
    response.set_signed_cookie(
        LISTENER_COOKIE,
        listener.new_cookie,
        salt=LISTENER_SALT,
        max_age=int(settings.DISQUAIRE_LISTENER_COOKIE_AGE),
        httponly=True,
        samesite="Lax",
        secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
    )
