"""The tags inside delivered files, kept in step with the catalogue.

Every rendition is tagged when it is made (title, artist, album, track number and total,
year, ISRC, the release's address, the cover). The catalogue moves on afterwards: a
title is corrected, the tracklist reordered, a track added or deleted, the cover
changed. Each rendition remembers the digest of the tags it carries
(``Rendition.tags_digest``); ``release_retag`` — queued after every such change
(``release_retag_soon``, from ``catalog.receivers``) — tags again, on a copy, each ready
file whose digest no longer matches, stores the copy under a new name, swaps it in with
a compare-and-set on the old name (a newer write wins) and deletes the old file once
that commits. Audio is never re-encoded.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from disquaire.audio import TagSet, load_image, write_tags
from disquaire.audio.formats import FORMATS
from disquaire.catalog.models import ProcessingStatus, Release, Rendition, Track
from disquaire.core.storage import sha256_file, storage_delete_on_commit, storage_save_path

logger = logging.getLogger(__name__)

ORIGINAL = "original"  # the master as handed over: never tagged by us


def scratch_dir() -> Path:
    path = Path(settings.SCRATCH_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def rendition_name(track: Track, key: str) -> str:
    ext = FORMATS[key].extension
    return f"renditions/{track.release_id}/{track.pk}/{track.position:02d}-{key}{ext}"


def track_tagset(track: Track, cover: bytes | None, *, track_total: int | None = None) -> TagSet:
    """The tags ``track``'s files should carry now (``track.release.artist`` is read)."""
    release = track.release
    artist = release.artist
    year = release.release_date.year if release.release_date else None
    return TagSet(
        title=track.title,
        artist=artist.name,
        album=release.title,
        album_artist=artist.name,
        track_number=track.position,
        track_total=release.tracks.count() if track_total is None else track_total,
        year=year,
        isrc=track.isrc or None,
        comment=settings.SITE_URL + release.get_absolute_url(),
        cover_jpeg=cover,
    )


def tags_digest(tags: TagSet, *, cover_name: str) -> str:
    """What identifies ``tags``: every field, the cover by its stored name."""
    fields = dataclasses.asdict(tags)
    fields["cover_jpeg"] = cover_name
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def cover_for_embedding(release: Release) -> bytes | None:
    """The JPEG to embed in ``release``'s files (None without a cover)."""
    if not release.cover:
        return None
    return _embedded_cover(release.cover.name)


@functools.lru_cache(maxsize=16)
def _embedded_cover(name: str) -> bytes:
    # Made once per cover and process, not once per track: a cover is never rewritten
    # under its name (a new cover gets a new name), so the name is a safe key.
    with default_storage.open(name, "rb") as handle:
        data = handle.read()
    return load_image(data, max_pixels=settings.IMPORT_MAX_IMAGE_PIXELS).embed_jpeg()


def release_retag(*, release_id: int) -> int:
    """Tag again every ready file of ``release_id`` whose tags no longer match the
    catalogue; return how many were. Safe to run twice, or beside processing."""
    release = Release.objects.select_related("artist").filter(pk=release_id).first()
    if release is None:
        return 0
    tracks = list(Track.objects.filter(release_id=release_id).order_by("position"))
    cover_name = release.cover.name or ""
    cover: bytes | None = None
    cover_read = False
    done = 0
    for track in tracks:
        track.release = release
        wanted = track_tagset(track, None, track_total=len(tracks))
        digest = tags_digest(wanted, cover_name=cover_name)
        stale = (
            Rendition.objects.filter(track=track, status=ProcessingStatus.READY)
            .exclude(format=ORIGINAL)
            .exclude(tags_digest=digest)
            .exclude(file="")
        )
        for rendition in stale:
            if not cover_read:
                cover, cover_read = cover_for_embedding(release), True
            tags = dataclasses.replace(wanted, cover_jpeg=cover)
            try:
                done += _rendition_retag(rendition, track=track, tags=tags, digest=digest)
            except Exception:
                # One bad file must not keep the others stale; the next change retries it.
                logger.exception("tagging rendition %s again failed", rendition.pk)
    return done


def _rendition_retag(rendition: Rendition, *, track: Track, tags: TagSet, digest: str) -> bool:
    old = rendition.file.name
    workdir = Path(tempfile.mkdtemp(prefix=f"retag-{rendition.pk}-", dir=scratch_dir()))
    try:
        local = workdir / f"file{FORMATS[rendition.format].extension}"
        with default_storage.open(old, "rb") as src, local.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        write_tags(local, format_key=rendition.format, tags=tags)
        sha, size = sha256_file(local)
        # A new name (storage never overwrites): downloads of the old file in flight
        # keep it until the swap commits.
        new = storage_save_path(name=rendition_name(track, rendition.format), path=local)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    with transaction.atomic():
        swapped = Rendition.objects.filter(
            pk=rendition.pk, file=old, status=ProcessingStatus.READY
        ).update(file=new, bytes=size, sha256=sha, tags_digest=digest, updated_at=timezone.now())
        # The loser of a race with processing (or another retag) throws its copy away.
        storage_delete_on_commit(old if swapped else new)
    return bool(swapped)


def release_retag_soon(*, release_id: int) -> None:
    """Queue ``release_retag`` for after the current transaction commits (once per
    release and transaction, however many of its rows changed)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        getattr(entry[1], "retag_release_id", None) == release_id
        and not getattr(entry[1], "ran", False)
        for entry in connection.run_on_commit
    ):
        return

    def enqueue() -> None:
        from disquaire.catalog.tasks import release_retag_task

        # Marked run: tests run callbacks early (captureOnCommitCallbacks) and leave them
        # in the list, where they must not pass for pending ones.
        enqueue.ran = True  # type: ignore[attr-defined]

        try:
            release_retag_task.enqueue(release_id=release_id)
        except Exception:
            # The files keep their old tags until the next change queues it again.
            logger.exception("retagging release %s not queued", release_id)

    enqueue.retag_release_id = release_id  # type: ignore[attr-defined]
    transaction.on_commit(enqueue)
