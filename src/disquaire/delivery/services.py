"""Delivery services: granting and revoking entitlements, counting downloads, pre-orders.

Other rooms call ``entitlement_grant`` (an order is paid, a code is redeemed, the band
gives a copy away) and ``entitlements_revoke`` (a refund). See docs/delivery.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from disquaire.catalog.models import Release, Track
from disquaire.core.addresses import email_normalise
from disquaire.core.signing import TokenExpired, TokenInvalid
from disquaire.delivery.links import download_page_url, download_token_read
from disquaire.delivery.models import Entitlement, EntitlementSource
from disquaire.delivery.selectors import entitlement_is_locked, entitlements_by_ids

logger = logging.getLogger("disquaire.delivery")


class DeliveryError(Exception):
    """A delivery request that cannot be honoured (the message is for the fan)."""


class DownloadLimitReached(DeliveryError):
    """The entitlement has been downloaded DISQUAIRE_DOWNLOAD_LIMIT times."""


def entitlement_grant(
    *,
    email: str,
    release: Release | None = None,
    track: Track | None = None,
    source: str,
    ref: str,
) -> Entitlement:
    """Let ``email`` download ``release`` (or one ``track``); return the entitlement.

    Idempotent per (email, item, source, ref): granting again returns the existing row
    unchanged — a revoked one stays revoked (grant under a new ``ref`` to give it back).
    ``source`` is ``"order"``, ``"code"`` or ``"free"``; ``ref`` says which one (an order
    code, ``code:<id>``...). The email is stored lower-case. A release dated in the
    future is a pre-order: downloads open on that date and the fan is mailed then
    (``entitlements_unlock_notify``).
    """
    if (release is None) == (track is None):
        raise ValueError("grant exactly one of release or track")
    address = _grant_check(email=email, source=source, ref=ref)
    lookup: dict[str, object] = {"email": address, "source": source, "source_ref": ref}
    if release is not None:
        lookup["release"] = release
    else:
        lookup["track"] = track
    existing = Entitlement.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    item_release = release if release is not None else track.release  # type: ignore[union-attr]
    future = (
        item_release.release_date is not None and item_release.release_date > timezone.localdate()
    )
    try:
        with transaction.atomic():
            return Entitlement.objects.create(**lookup, notify_on_unlock=future)
    except IntegrityError:
        # A concurrent grant of the same thing won the race: theirs is ours.
        return Entitlement.objects.get(**lookup)


def _grant_check(*, email: str, source: str, ref: str) -> str:
    """The address to grant to, once the grant's source and ref are known to be good."""
    if source not in EntitlementSource.values:
        raise ValueError(f"unknown source {source!r}")
    address = email_normalise(email)
    if not address or "@" not in address:
        raise ValueError("an entitlement needs an email address")
    if not ref:
        raise ValueError("an entitlement needs a source ref")
    return address


def entitlements_grant_order(*, order_id: int, email: str, source: str, ref: str) -> None:
    """The downloads of an order's lines (those that include one), granted to ``email``
    in one ``INSERT … SELECT`` over the lines: nothing read, nothing built in Python.
    Idempotent per (email, item, source, ref) (the unique constraints, ``ON CONFLICT DO
    NOTHING``): a grant revoked stays revoked. A pre-order (release date to come) is
    marked to be mailed when it opens."""
    from disquaire.orders.models import OrderLine  # orders imports this module

    address = _grant_check(email=email, source=source, ref=ref)
    connection = connections[router.db_for_write(Entitlement)]
    ops = connection.ops
    sql = (
        f"INSERT INTO {Entitlement._meta.db_table} (email, release_id, track_id, source, "  # noqa: S608
        "source_ref, created_at, revoked_at, revoke_reason, download_count, "
        "last_download_at, claimed_at, notify_on_unlock, unlock_notified_at) "
        "SELECT %s, CASE WHEN l.track_id IS NULL THEN l.release_id END, l.track_id, %s, %s, "
        "%s, NULL, '', 0, NULL, NULL, "
        "CASE WHEN COALESCE(tr.release_date, r.release_date) > %s THEN %s ELSE %s END, NULL "
        f"FROM {OrderLine._meta.db_table} l "
        f"LEFT JOIN {Track._meta.db_table} t ON t.id = l.track_id "
        f"LEFT JOIN {Release._meta.db_table} tr ON tr.id = t.release_id "
        f"LEFT JOIN {Release._meta.db_table} r ON r.id = l.release_id "
        "WHERE l.order_id = %s AND l.includes_download = %s "
        "AND (l.track_id IS NOT NULL OR l.release_id IS NOT NULL) "
        "ON CONFLICT DO NOTHING"
    )
    params = [
        address,
        source,
        ref,
        ops.adapt_datetimefield_value(timezone.now()),
        ops.adapt_datefield_value(timezone.localdate()),
        True,
        False,
        order_id,
        True,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def entitlement_revoke(*, entitlement: Entitlement, reason: str = "") -> Entitlement:
    """Stop ``entitlement`` from opening any file (a refund); idempotent."""
    Entitlement.objects.filter(pk=entitlement.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoke_reason=reason[:200]
    )
    entitlement.refresh_from_db()
    return entitlement


def entitlements_revoke(*, source: str, ref: str, reason: str = "") -> int:
    """Revoke every entitlement granted by ``source``/``ref`` (all items of a refunded
    order); return how many were still active."""
    return Entitlement.objects.filter(
        source=source, source_ref=ref, revoked_at__isnull=True
    ).update(revoked_at=timezone.now(), revoke_reason=reason[:200])


def entitlements_claim(*, email: str) -> int:
    """Mark the guest entitlements of ``email`` as claimed by its proven owner (called
    when they sign in to their library); return how many were new to the library."""
    return Entitlement.objects.filter(email=email_normalise(email), claimed_at__isnull=True).update(
        claimed_at=timezone.now()
    )


def download_limit() -> int:
    return int(settings.DISQUAIRE_DOWNLOAD_LIMIT)


def download_count(*, entitlement: Entitlement) -> int:
    """Count one download of ``entitlement``, or raise DownloadLimitReached.

    One conditional UPDATE (``WHERE download_count < limit``): the database checks and
    writes under the row's lock, so concurrent downloads never pass the limit.
    """
    counted = Entitlement.objects.filter(
        pk=entitlement.pk, download_count__lt=download_limit()
    ).update(download_count=F("download_count") + 1, last_download_at=timezone.now())
    if not counted:
        raise DownloadLimitReached
    return counted


def entitlements_unlock_notify(*, today: object | None = None) -> int:
    """Periodic job: mail the fans whose pre-orders opened today (or earlier); each
    entitlement is mailed once (marked before sending: a failed send is logged, not
    retried forever). Returns how many mails were sent."""
    day = today or timezone.localdate()
    due = list(
        Entitlement.objects.filter(
            notify_on_unlock=True,
            unlock_notified_at__isnull=True,
            revoked_at__isnull=True,
        )
        .exclude(release__release_date__gt=day)
        .exclude(track__release__release_date__gt=day)
        .values_list("pk", flat=True)[:200]
    )
    sent = 0
    for pk in due:
        claimed = Entitlement.objects.filter(pk=pk, unlock_notified_at__isnull=True).update(
            unlock_notified_at=timezone.now()
        )
        if not claimed:
            continue  # another worker took it
        entitlement = Entitlement.objects.select_related(
            "release__artist", "track__release__artist"
        ).get(pk=pk)
        try:
            _unlock_mail(entitlement)
            sent += 1
        except Exception:
            logger.exception("pre-order mail for entitlement %s not sent", pk)
    return sent


def download_links_mail(*, entitlement: Entitlement) -> bool:
    """Mail the fan a fresh link to the download page of ``entitlement`` (after redeeming
    a code); False, logged, when the mail could not be sent (the page is open anyway)."""
    release = entitlement.item_release
    try:
        with translation.override(release.artist.default_language or settings.LANGUAGE_CODE):
            context = {
                "item_release": release,
                "artist": release.artist,
                "url": download_page_url(entitlements=[entitlement]),
                "library_url": settings.SITE_URL + "/library/",
            }
            subject = _("Your download: %(title)s") % {"title": release.title}
            body = render_to_string("delivery/email/links.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [entitlement.email])
    except Exception:
        logger.exception("download links for entitlement %s not mailed", entitlement.pk)
        return False
    return True


def _unlock_mail(entitlement: Entitlement) -> None:
    release = entitlement.item_release
    with translation.override(release.artist.default_language or settings.LANGUAGE_CODE):
        context = {
            "entitlement": entitlement,
            "item_release": release,
            "track": entitlement.track,
            "artist": release.artist,
            "url": download_page_url(entitlements=[entitlement]),
            "library_url": settings.SITE_URL + "/library/",
        }
        subject = _("%(title)s is out: your download is ready") % {
            "title": entitlement.track.title if entitlement.track else release.title
        }
        body = render_to_string("delivery/email/unlocked.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [entitlement.email])


def track_downloads_record(*, tracks: Iterable[Track]) -> None:
    """Count one download today for each of ``tracks`` (a file, or every track of a zip):
    one statement, however many tracks."""
    from disquaire.core.counters import day_counts_add
    from disquaire.delivery.models import TrackDownloadDay

    day_counts_add(
        TrackDownloadDay, field="downloads", key="track", ids=(track.pk for track in tracks)
    )


class DownloadRefused(Exception):
    """Why a file URL does not download; ``kind`` names the page the fan sees (expired,
    invalid, revoked, locked), ``entitlement`` is the one refused when there is one."""

    def __init__(self, kind: str, *, entitlement: Entitlement | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.entitlement = entitlement


def entitlement_for_download(*, token: str, entitlement_id: int) -> Entitlement:
    """The entitlement a file URL names, if its token opens it and it may download now:
    not someone else's (an id spliced into a valid link), not revoked, not before the
    release date. Raises DownloadRefused."""
    try:
        ids = download_token_read(token=token)
    except TokenExpired:
        raise DownloadRefused("expired") from None
    except TokenInvalid:
        raise DownloadRefused("invalid") from None
    found = entitlements_by_ids([entitlement_id]) if entitlement_id in ids else []
    if not found:
        raise DownloadRefused("invalid")
    entitlement = found[0]
    if entitlement.revoked_at is not None:
        raise DownloadRefused("revoked", entitlement=entitlement)
    if entitlement_is_locked(entitlement):
        raise DownloadRefused("locked", entitlement=entitlement)
    return entitlement
