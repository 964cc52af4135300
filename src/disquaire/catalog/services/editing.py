"""Editing a release from the backstage: tracks added, ordered and tagged, cover, publication."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from disquaire.audio import (
    load_image,
)
from disquaire.catalog import sources
from disquaire.catalog.models import Artist, Release, Track
from disquaire.catalog.services.imports import (
    _clean_isrc,
    _probe_candidate,
    _renditions_plan,
    _unique_slug,
    master_fields,
    tracks_enqueue,
)
from disquaire.catalog.tagging import (
    release_retag_soon,
)
from disquaire.core.storage import sha256_file, storage_save_bytes, storage_save_path


def release_create(*, artist: Artist, title: str, kind: str = Release.Kind.ALBUM) -> Release:
    """A new draft release of ``artist``, with a unique address made from its title."""
    title = title.strip()[:300] or "Untitled"
    return Release.objects.create(
        artist=artist,
        title=title,
        slug=_unique_slug(
            title,
            lambda s: Release.objects.filter(artist=artist, slug=s).exists(),
            max_length=120,
        ),
        kind=kind,
        visibility=Release.Visibility.DRAFT,
    )


def track_add_from_upload(*, release: Release, path: Path, filename: str) -> Track:
    """Append the uploaded audio file at ``path`` to ``release`` as its last track.

    The same checks as ``release_import`` (size, probe; ``AudioError`` with a readable
    reason when the file is refused), the master copied into storage, the renditions
    planned, and processing queued after commit; truncated audio fails the track when it
    is processed, with the reason. ``path`` is left in place.
    """
    candidate = _probe_candidate(Path(path), filename)
    digest, size = sha256_file(candidate.path)
    suffix = Path(filename).suffix.lower()
    safe = slugify(Path(filename).stem)[:60] or "track"
    token = uuid.uuid4().hex[:12]
    name = storage_save_path(name=f"masters/{token}/{safe}{suffix}", path=candidate.path)
    try:
        with transaction.atomic():
            # Lock the release row so two uploads finishing together get distinct positions.
            Release.objects.select_for_update().filter(pk=release.pk).first()
            last = release.tracks.order_by("-position").values_list("position", flat=True)
            position = (last.first() or 0) + 1
            info = candidate.info
            track_title = (info.tags.title or sources.title_from_filename(Path(filename)))[:300]
            track = Track.objects.create(
                release=release,
                position=position,
                title=track_title,
                slug=(slugify(track_title)[:120] or f"track-{position}"),
                duration_ms=round(info.duration_s * 1000),
                isrc=_clean_isrc(info.tags.isrc),
                master=name,
                **master_fields(info=info, filename=Path(filename).name, size=size, digest=digest),
            )
            _renditions_plan(track=track, info=info)
            transaction.on_commit(lambda: tracks_enqueue(tracks=[track]))
    except BaseException:
        default_storage.delete(name)
        raise
    return track


def release_cover_set(*, release: Release, data: bytes) -> str:
    """Make ``data`` (any image Pillow reads) the cover of ``release``.

    Raises ``AudioError`` (an ``ArtworkError``) with a readable reason when refused.
    """
    artwork = load_image(data, max_pixels=settings.IMPORT_MAX_IMAGE_PIXELS)
    name = storage_save_bytes(name=f"covers/{uuid.uuid4().hex[:12]}.jpg", data=artwork.jpeg)
    old = release.cover.name if release.cover else ""
    release.cover.name = name
    release.save(update_fields=["cover", "updated_at"])
    if old and old != name:
        default_storage.delete(old)
    return name


def tracks_reorder(*, release: Release, track_ids: list[int]) -> None:
    """Give the tracks of ``release`` the positions 1..n in the order of ``track_ids``.

    ``track_ids`` must name every track of the release exactly once. The rows are first
    moved above the current highest position, then renumbered, so the unique
    (release, position) constraint holds after every single row update.
    """
    with transaction.atomic():
        tracks = list(Track.objects.select_for_update().filter(release=release).order_by("pk"))
        if sorted(t.pk for t in tracks) != sorted(track_ids) or len(set(track_ids)) != len(
            track_ids
        ):
            raise ValueError("track_ids must list every track of the release once")
        offset = max((t.position for t in tracks), default=0) + 1
        Track.objects.filter(release=release).update(position=F("position") + offset)
        for position, track_id in enumerate(track_ids, start=1):
            Track.objects.filter(pk=track_id).update(position=position)
        # Queryset updates send no signal: the files' track numbers follow from here.
        release_retag_soon(release_id=release.pk)


def track_move(*, track: Track, by: int) -> None:
    """Move ``track`` up (``by=-1``) or down (``by=1``) in its release's tracklist."""
    ids = list(track.release.tracks.order_by("position").values_list("pk", flat=True))
    index = ids.index(track.pk)
    target = index + by
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
        tracks_reorder(release=track.release, track_ids=ids)


def release_tags_set(*, release: Release, names: Iterable[str]) -> None:
    """Tag ``release`` with exactly ``names`` (tags created when new, by slug)."""
    from disquaire.catalog.models import Tag

    tags = []
    for name in names:
        name = name.strip()[:60]
        slug = slugify(name)[:60]
        if not slug:
            continue
        tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": name})
        tags.append(tag)
    release.tags.set(tags)


def release_publish(*, release: Release) -> None:
    """Publish ``release`` now (listed on the site from this moment)."""
    release.visibility = Release.Visibility.PUBLISHED
    release.publish_at = None
    if release.release_date is None:
        release.release_date = timezone.localdate()
    release.save(update_fields=["visibility", "publish_at", "release_date", "updated_at"])


def release_schedule(*, release: Release, at: datetime) -> None:
    """Publish ``release`` automatically at ``at`` (it is listed once that time has come)."""
    release.visibility = Release.Visibility.SCHEDULED
    release.publish_at = at
    if release.release_date is None:
        release.release_date = timezone.localdate(at)
    release.save(update_fields=["visibility", "publish_at", "release_date", "updated_at"])


def release_unlist(*, release: Release) -> None:
    """Keep ``release`` off the lists, reachable only through its preview link."""
    release.visibility = Release.Visibility.UNLISTED
    release.publish_at = None
    release.save(update_fields=["visibility", "publish_at", "updated_at"])


def release_draft(*, release: Release) -> None:
    """Take ``release`` back to a draft only its band sees."""
    release.visibility = Release.Visibility.DRAFT
    release.publish_at = None
    release.save(update_fields=["visibility", "publish_at", "updated_at"])
