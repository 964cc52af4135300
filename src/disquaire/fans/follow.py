"""Following a band: double opt-in, consent kept, one-click unsubscribe, preferences.

Every way in leaves the same trace on the ``Follower`` row: where the consent was given
(``consent_source``: the follow form on a page, a signed-in fan's one click, the checkout,
an import...), the page (``consent_where``), when, the wording shown (``consent_text``)
and the language the fan read it in (updates are written to them in it).

An address is written to only once it is ``confirmed``: by the link of the confirmation
mail (double opt-in), or at once for a signed-in fan (the sign-in link already proved
the address) and for an import whose consent the band vouches for. An address that
never confirms gets the one confirmation mail and nothing else.

Links in mails carry signed tokens (``core.signing``): the confirmation token and the
unsubscribe token name one follower *and* a hash of their address, so a token cannot
be turned against another follower (the signature covers both), nor against an address
that later took over a deleted follower's id.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import get_script_prefix, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist
from disquaire.core.addresses import email_normalise
from disquaire.core.countries import COUNTRIES
from disquaire.core.signing import TokenError, token_make, token_read
from disquaire.fans.follow_models import ConsentSource, Follower, FollowerState
from disquaire.fans.models import Fan

CONFIRM_PURPOSE = "fans.follow"
# Links mailed before followers moved out of the shop: their payload names the same id.
LEGACY_CONFIRM_PURPOSE = "shop.subscribe"
UNSUBSCRIBE_PURPOSE = "fans.unsubscribe"
CONFIRM_TTL = 14 * 86400
# Unsubscribe links must work in a mail read years later.
UNSUBSCRIBE_TTL = 20 * 365 * 86400


def consent_wording(*, artist: Artist) -> str:
    """The sentence shown beside every follow form (recorded with each consent)."""
    return _(
        "Get news from %(artist)s by email: new releases, concerts, news. "
        "You confirm by email and can unsubscribe in one click from every message."
    ) % {"artist": artist.name}


def language_of(language: str) -> str:
    """One of the site's languages for ``language`` ("fr-BE" → "fr"), else the default."""
    codes = [code for code, _name in settings.LANGUAGES]
    base = (language or "").split("-")[0].lower()
    return base if base in codes else settings.LANGUAGE_CODE.split("-")[0]


def _address_hash(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def follower_token(*, follower: Follower, purpose: str = UNSUBSCRIBE_PURPOSE) -> str:
    """The signed token of ``follower``'s links (unsubscribe and preferences by default)."""
    return _token(follower_id=follower.pk, email=follower.email, purpose=purpose)


def _token(*, follower_id: int, email: str, purpose: str) -> str:
    ttl = CONFIRM_TTL if purpose == CONFIRM_PURPOSE else UNSUBSCRIBE_TTL
    return token_make(
        purpose=purpose, payload={"f": follower_id, "h": _address_hash(email)}, ttl_seconds=ttl
    )


def _token_follower(*, token: str, purpose: str, key: str) -> tuple[Follower, dict] | None:
    """The follower whose id a valid token holds under ``key``, with the token's payload;
    None for a bad or expired token, or one naming no follower."""
    try:
        payload = token_read(purpose=purpose, token=token)
    except TokenError:
        return None
    follower_id = payload.get(key)
    if not isinstance(follower_id, int):
        return None
    follower = Follower.objects.filter(pk=follower_id).select_related("artist").first()
    return None if follower is None else (follower, payload)


def follower_from_token(*, token: str, purpose: str = UNSUBSCRIBE_PURPOSE) -> Follower | None:
    """The follower a valid token names, or None (bad, expired, or its address changed)."""
    found = _token_follower(token=token, purpose=purpose, key="f")
    if found is None or found[1].get("h") != _address_hash(found[0].email):
        return None
    return found[0]


def follow_urls(*, follower: Follower) -> dict[str, str]:
    """The absolute unsubscribe and preferences links of ``follower``."""
    return follow_urls_for(follower_id=follower.pk, email=follower.email)


def follow_urls_for(*, follower_id: int, email: str) -> dict[str, str]:
    """``follow_urls`` from the follower's id and address (no query)."""
    token = _token(follower_id=follower_id, email=email, purpose=UNSUBSCRIBE_PURPOSE)
    unsubscribe, preferences = _url_patterns(settings.SITE_URL, get_script_prefix())
    return {
        "unsubscribe": unsubscribe.replace(_TOKEN_SLOT, token),
        "preferences": preferences.replace(_TOKEN_SLOT, token),
    }


_TOKEN_SLOT = "TOKEN-SLOT"  # noqa: S105  (a placeholder, no secret)


@lru_cache(maxsize=8)
def _url_patterns(site_url: str, prefix: str) -> tuple[str, str]:
    """The two links with a slot for the token: reversed once, not once a mail."""
    return tuple(  # type: ignore[return-value]
        site_url + reverse(name, kwargs={"token": _TOKEN_SLOT})
        for name in ("fans:unsubscribe", "fans:preferences")
    )


def follower_consent(
    *, source: str, wording: str, where: str, language: str, now: datetime
) -> dict[str, object]:
    """What a follower's consent records: how and when it was given, the page, the
    wording shown, and their language (the one asked for, else the page's)."""
    return {
        "consent_source": source,
        "consent_at": now,
        "consent_text": wording,
        "consent_where": where[:300],
        "language": language_of(language or translation.get_language() or ""),
    }


def follower_request(
    *,
    artist: Artist,
    email: str,
    source: str,
    wording: str,
    where: str = "",
    language: str = "",
    country: str = "",
    fan: Fan | None = None,
) -> Follower | None:
    """Ask ``email`` to follow ``artist`` (double opt-in): record the consent and mail a
    confirmation link. An address already following stays as it is (no mail); a blocked
    one (bounces, complaints) gets nothing. None for an address that is not one."""
    address = email_normalise(email)
    try:
        validate_email(address)
    except Exception:
        return None
    now = timezone.now()
    consent = follower_consent(
        source=source, wording=wording, where=where, language=language, now=now
    )
    # Race-safe: the same address at the same moment from another request fails on the
    # unique key (in its own savepoint) and is read back.
    follower, _created = Follower.objects.get_or_create(
        artist=artist,
        email=address,
        defaults={**consent, "country": country[:2].upper(), "fan": fan},
    )
    if follower.state in (FollowerState.CONFIRMED, FollowerState.BLOCKED):
        return follower
    if follower.state == FollowerState.UNSUBSCRIBED or follower.consent_at != now:
        # Asking again is a new consent: the newest wording and place count.
        for name, value in consent.items():
            setattr(follower, name, value)
        follower.state = FollowerState.PENDING
        follower.save(update_fields=[*consent, "state"])
    confirmation_send(follower=follower)
    return follower


def confirmation_send(*, follower: Follower) -> None:
    """Mail ``follower`` the link that confirms they follow (in their language)."""
    token = follower_token(follower=follower, purpose=CONFIRM_PURPOSE)
    link = settings.SITE_URL + reverse("fans:follow_confirm", kwargs={"token": token})
    with translation.override(follower.language):
        send_mail(
            _("Confirm you follow %(artist)s") % {"artist": follower.artist.name},
            _(
                "Someone (we hope you) asked to get news from %(artist)s by email.\n"
                "To confirm, open this link:\n%(link)s\n\n"
                "If it was not you, ignore this message: nothing will be sent."
            )
            % {"artist": follower.artist.name, "link": link},
            settings.DEFAULT_FROM_EMAIL,
            [follower.email],
            fail_silently=True,
        )


def follower_confirm(*, token: str) -> Follower | None:
    """Confirm the follow behind a confirmation link; None for a bad or outdated link.
    Also takes the links mailed by the shop's former mailing list."""
    follower = follower_from_token(token=token, purpose=CONFIRM_PURPOSE)
    if follower is None:
        legacy = _token_follower(token=token, purpose=LEGACY_CONFIRM_PURPOSE, key="s")
        if legacy is None:
            return None
        follower = legacy[0]
    now = timezone.now()
    Follower.objects.filter(pk=follower.pk, state=FollowerState.PENDING).update(
        state=FollowerState.CONFIRMED, confirmed_at=now
    )
    follower.refresh_from_db()
    return follower


def follower_confirm_legacy_valid(*, token: str) -> bool:
    """A confirmation link mailed by the shop's former mailing list, still valid."""
    try:
        payload = token_read(purpose=LEGACY_CONFIRM_PURPOSE, token=token)
    except TokenError:
        return False
    return Follower.objects.filter(pk=payload.get("s") or 0).exists()


def follower_follow_fan(
    *, artist: Artist, fan: Fan, wording: str, where: str = "", language: str = ""
) -> Follower:
    """A signed-in fan follows ``artist`` in one click: their address is proven by the
    sign-in link, so the follow is confirmed at once (a blocked address stays blocked)."""
    now = timezone.now()
    consent = follower_consent(
        source=ConsentSource.FAN, wording=wording, where=where, language=language, now=now
    )
    # Race-safe: the same address at the same moment from another request fails on the
    # unique key (in its own savepoint) and is read back.
    follower, _created = Follower.objects.get_or_create(
        artist=artist,
        email=fan.email,
        defaults={**consent, "fan": fan, "state": FollowerState.CONFIRMED, "confirmed_at": now},
    )
    if follower.state in (FollowerState.PENDING, FollowerState.UNSUBSCRIBED):
        for name, value in consent.items():
            setattr(follower, name, value)
        follower.state = FollowerState.CONFIRMED
        follower.confirmed_at = now
        follower.fan = fan
        follower.save(update_fields=[*consent, "state", "confirmed_at", "fan"])
    return follower


def follower_unsubscribe(*, follower: Follower) -> None:
    """Stop writing to ``follower`` (a blocked address stays blocked). Queued mails of
    updates still sending are dropped."""
    from disquaire.fans.updates_models import Delivery, DeliveryState

    with transaction.atomic():
        Follower.objects.filter(
            pk=follower.pk, state__in=[FollowerState.PENDING, FollowerState.CONFIRMED]
        ).update(state=FollowerState.UNSUBSCRIBED, unsubscribed_at=timezone.now())
        Delivery.objects.filter(follower=follower, state=DeliveryState.QUEUED).update(
            state=DeliveryState.UNSUBSCRIBED
        )
    follower.refresh_from_db()


def follower_preferences_set(
    *, follower: Follower, news: bool, releases: bool, concerts: bool, country: str | None = None
) -> None:
    """What ``follower`` wants to hear about, and where they live (``country``, an ISO
    code, "" for unknown; None leaves it): news of a concert goes to those in its
    country. A code that is no country is refused (ValueError), nothing saved."""
    fields = ["wants_news", "wants_releases", "wants_concerts"]
    if country is not None:
        code = country.strip().upper()
        if code and code not in COUNTRIES:
            raise ValueError(f"unknown country {country!r}")
        follower.country = code
        fields.append("country")
    follower.wants_news, follower.wants_releases, follower.wants_concerts = (
        news,
        releases,
        concerts,
    )
    follower.save(update_fields=fields)


def follower_block(*, email: str, reason: str) -> int:
    """Never write to ``email`` again (any artist): a hard bounce or a complaint."""
    return (
        Follower.objects.filter(email=email_normalise(email))
        .exclude(state=FollowerState.BLOCKED)
        .update(state=FollowerState.BLOCKED, blocked_reason=reason[:40])
    )


SOFT_BOUNCES_BEFORE_BLOCK = 3


def follower_soft_bounce(*, email: str) -> None:
    """Count a soft bounce; the third blocks the address."""
    from django.db.models import F

    address = email_normalise(email)
    Follower.objects.filter(email=address).update(soft_bounces=F("soft_bounces") + 1)
    Follower.objects.filter(email=address, soft_bounces__gte=SOFT_BOUNCES_BEFORE_BLOCK).exclude(
        state=FollowerState.BLOCKED
    ).update(state=FollowerState.BLOCKED, blocked_reason="soft bounces")
