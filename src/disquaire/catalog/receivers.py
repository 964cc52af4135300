"""The catalogue following its own edits: files tagged again when what their tags say
changes (``catalog.tagging``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from disquaire.catalog.models import Artist, Release, Track
from disquaire.catalog.tagging import release_retag_soon

# The columns the tags are made of (track_tagset); other saves (a description, a
# heartbeat, peaks) leave the files alone.
_TAGGED: dict[type[Model], tuple[str, ...]] = {
    Artist: ("name", "slug"),
    Release: ("title", "slug", "release_date", "cover", "artist_id"),
    Track: ("title", "isrc", "position", "release_id"),
}
_BEFORE = "_tagged_values_before_save"


def _values(instance: Model, fields: tuple[str, ...]) -> tuple[Any, ...]:
    """The instance's values as ``values_list`` reads them (a file by its name)."""
    values = (getattr(instance, field) for field in fields)
    return tuple(value.name if isinstance(value, FieldFile) else value for value in values)


@receiver(pre_save, sender=Artist, dispatch_uid="catalog.retag_before_artist")
@receiver(pre_save, sender=Release, dispatch_uid="catalog.retag_before_release")
@receiver(pre_save, sender=Track, dispatch_uid="catalog.retag_before_track")
def _remember(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    """A whole-row save (a form's): note what the tags say now, to compare afterwards."""
    fields = _TAGGED.get(sender)
    if fields is None or kwargs.get("raw") or kwargs.get("update_fields") is not None:
        return
    if instance._state.adding:  # a new row: nothing to compare with
        return
    stored = sender._default_manager.filter(pk=instance.pk).values_list(*fields).first()
    if stored is not None:
        setattr(instance, _BEFORE, tuple(stored))


def _changed(sender: type[Model], instance: Model, kwargs: dict[str, Any]) -> bool:
    fields = _TAGGED[sender]
    update_fields = kwargs.get("update_fields")
    if update_fields is not None:
        names = {f.removesuffix("_id") for f in fields} | set(fields)
        return bool(set(update_fields) & names)
    before = instance.__dict__.pop(_BEFORE, None)
    return before is None or before != _values(instance, fields)


@receiver(post_save, sender=Artist, dispatch_uid="catalog.retag_artist")
def _artist_saved(sender: type, instance: Artist, created: bool, **kwargs: Any) -> None:
    if created or kwargs.get("raw") or not _changed(Artist, instance, kwargs):
        return
    for release_id in Release.objects.filter(artist=instance).values_list("pk", flat=True):
        release_retag_soon(release_id=release_id)


@receiver(post_save, sender=Release, dispatch_uid="catalog.retag_release")
def _release_saved(sender: type, instance: Release, created: bool, **kwargs: Any) -> None:
    if created or kwargs.get("raw") or not _changed(Release, instance, kwargs):
        return
    release_retag_soon(release_id=instance.pk)


@receiver(post_save, sender=Track, dispatch_uid="catalog.retag_track")
def _track_saved(sender: type, instance: Track, created: bool, **kwargs: Any) -> None:
    # A new track changes every other track's "of N".
    if kwargs.get("raw") or not (created or _changed(Track, instance, kwargs)):
        return
    release_retag_soon(release_id=instance.release_id)


@receiver(post_delete, sender=Track, dispatch_uid="catalog.retag_track_deleted")
def _track_deleted(sender: type, instance: Track, **kwargs: Any) -> None:
    release_retag_soon(release_id=instance.release_id)
