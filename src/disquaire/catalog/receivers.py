"""The catalogue following its own edits: files tagged again when what their tags say
changes (``catalog.tagging``)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from disquaire.catalog.models import Artist, Release, Track
from disquaire.catalog.tagging import release_retag_soon

# The fields the tags are made of (track_tagset); other saves (a description, a
# heartbeat, peaks) leave the files alone.
_ARTIST_FIELDS = frozenset({"name", "slug"})
_RELEASE_FIELDS = frozenset({"title", "slug", "release_date", "cover", "artist"})
_TRACK_FIELDS = frozenset({"title", "isrc", "position", "release"})


def _touches(update_fields: Any, fields: frozenset[str]) -> bool:
    return update_fields is None or bool(set(update_fields) & fields)


@receiver(post_save, sender=Artist, dispatch_uid="catalog.retag_artist")
def _artist_saved(sender: type, instance: Artist, created: bool, **kwargs: Any) -> None:
    if created or kwargs.get("raw") or not _touches(kwargs.get("update_fields"), _ARTIST_FIELDS):
        return
    for release_id in Release.objects.filter(artist=instance).values_list("pk", flat=True):
        release_retag_soon(release_id=release_id)


@receiver(post_save, sender=Release, dispatch_uid="catalog.retag_release")
def _release_saved(sender: type, instance: Release, created: bool, **kwargs: Any) -> None:
    if created or kwargs.get("raw") or not _touches(kwargs.get("update_fields"), _RELEASE_FIELDS):
        return
    release_retag_soon(release_id=instance.pk)


@receiver(post_save, sender=Track, dispatch_uid="catalog.retag_track")
def _track_saved(sender: type, instance: Track, created: bool, **kwargs: Any) -> None:
    # A new track changes every other track's "of N".
    if kwargs.get("raw") or not (created or _touches(kwargs.get("update_fields"), _TRACK_FIELDS)):
        return
    release_retag_soon(release_id=instance.release_id)


@receiver(post_delete, sender=Track, dispatch_uid="catalog.retag_track_deleted")
def _track_deleted(sender: type, instance: Track, **kwargs: Any) -> None:
    release_retag_soon(release_id=instance.release_id)
