"""Deleting releases and tracks, refused while anyone has or bought them."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from disquaire.catalog.models import Release, Track
from disquaire.catalog.services.editing import tracks_reorder
from disquaire.core.audit import audited
from disquaire.delivery.selectors import release_given
from disquaire.orders.selectors import release_has_orders

# What the audit log keeps of a deleted release or track.
RELEASE_FIELDS = ("title", "slug", "kind", "release_date", "visibility")
TRACK_FIELDS = ("release_id", "position", "title", "duration_ms")


class InUse(Exception):
    """What the band asked to delete belongs to fans already; the message says what to do."""


def _release_kept_reason(release_id: int) -> str:
    """Why ``release`` must stay ("" if nobody has it): checked under its row lock."""
    if release_has_orders(release_id=release_id) or release_given(release_id=release_id):
        return _(
            "Fans have ordered this release or were given it (downloads, codes): it stays "
            "in the record of sales and in their libraries. To take it off the site, "
            "set it back to draft."
        )
    return ""


@audited("release.delete", subject="release", fields=RELEASE_FIELDS)
def release_delete(*, release: Release) -> None:
    """Delete a release nobody has ordered or been given, with its tracks, renditions,
    offers and everything else hanging from it; raise ``InUse`` (nothing deleted) otherwise.

    Lock → check → write: the release row is locked, then orders, downloads and codes are
    looked for. An order or a download right written meanwhile by another transaction
    still stops it: their rows keep it (protected references, foreign keys checked at
    commit), and the whole deletion is rolled back. The stored files go once the deletion
    is committed.
    """
    try:
        with transaction.atomic():
            Release.objects.select_for_update().filter(pk=release.pk).first()
            reason = _release_kept_reason(release.pk)
            if reason:
                raise InUse(reason)
            release.delete()
    except (ProtectedError, RestrictedError, IntegrityError) as exc:
        raise InUse(_release_kept_reason(release.pk) or _("This release is in use.")) from exc


@audited("track.delete", subject="track", fields=TRACK_FIELDS)
def track_delete(*, track: Track) -> None:
    """Delete a track of a release nobody has ordered or been given, with its renditions,
    and close the gap in the tracklist; raise ``InUse`` (nothing deleted) otherwise —
    buyers' downloads hold every track.

    The release row lock serialises this with uploads appending tracks and reorders. The
    stored files go once the deletion is committed; a track still being processed stops
    at its next write and leaves nothing.
    """
    try:
        with transaction.atomic():
            Release.objects.select_for_update().filter(pk=track.release_id).first()
            if _release_kept_reason(track.release_id):
                raise InUse(
                    _(
                        "Fans have ordered this release or were given it: its tracks stay "
                        "in what they have. Add a corrected track as a new one, or take "
                        "the release off the site."
                    )
                )
            track.delete()
            remaining = list(
                Track.objects.filter(release_id=track.release_id)
                .order_by("position")
                .values_list("pk", flat=True)
            )
            if remaining:
                tracks_reorder(release=Release(pk=track.release_id), track_ids=remaining)
    except (ProtectedError, RestrictedError, IntegrityError) as exc:
        raise InUse(_("This track is in use.")) from exc
