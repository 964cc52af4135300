"""Preview clips: the first N seconds of each streaming file, cut on the server.

A visitor who hears clips receives only the clip file, so the rest of the track never
leaves the server. Clips are cut by a task (``tasks.clips_make_task``), queued after
commit when a release's policy or clip length changes (``models._release_saved``), when
a visitor asks for a clip that is missing, and by the periodic ``clips_enqueue_missing``
for tracks that became ready (the catalogue's processing sends no signal).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from disquaire.audio import run_ffmpeg, streaming_keys
from disquaire.audio.ffmpeg import ffmpeg_input
from disquaire.audio.formats import FORMATS, ORIGINAL, original_extension, original_mime
from disquaire.catalog.models import PreviewPolicy, ProcessingStatus, Release, Rendition, Track
from disquaire.core.storage import storage_save_path
from disquaire.storefront.models import Clip

logger = logging.getLogger(__name__)

# An original (lossy master under 128 kbps) keeps its container when cut into a clip.
_ORIGINAL_MUXERS = {
    "mp3": ("mp3",),
    "aac": ("ipod", "-movflags", "+faststart"),
    "vorbis": ("ogg",),
    "opus": ("opus",),
}


class ClipError(Exception):
    """A clip cannot be cut (its stream is missing, an unknown container)."""


CLIPS_PREFETCH = Prefetch("clips", to_attr="prefetched_clips")
"""Pass to ``prefetch_related`` to load tracks' clips in one query (see ``track_clips``)."""


def track_clips(track: Track) -> list[Clip]:
    """The clips of ``track``, from ``CLIPS_PREFETCH`` when it was used."""
    prefetched = getattr(track, "prefetched_clips", None)
    if prefetched is not None:
        return list(prefetched)
    return list(Clip.objects.filter(track=track))


def release_needs_clips(*, release: Release) -> bool:
    """Some visitors of ``release`` hear clips: clip or limited policy, or full tracks
    that are not out yet (full tracks come on release day)."""
    if release.preview_policy in (PreviewPolicy.CLIPS, PreviewPolicy.LIMITED):
        return True
    return release.release_date is not None and release.release_date > timezone.localdate()


def track_stream_keys(*, track: Track, renditions: Iterable[Rendition] | None = None) -> list[str]:
    """The formats the player may stream for ``track``, preferred first, whatever their
    status (``streaming_keys`` of the planned renditions)."""
    if renditions is None:
        renditions = track.renditions.all()
    return streaming_keys([r.format for r in renditions])


def original_kind(track: Track) -> tuple[str, str, str]:
    """``(codec, extension, MIME type)`` of the ``original`` rendition of ``track``."""
    codec = track.master_codec
    return codec, original_extension(codec), original_mime(codec)


def clips_request(*, track: Track) -> bool:
    """Make sure ``track`` has up-to-date clips, queueing the cut when some are missing,
    of the wrong length, or left pending by a dead worker. Returns whether it queued.

    Idempotent and cheap when everything is ready: call it as often as needed.
    """
    if track.status != ProcessingStatus.READY:
        return False
    seconds = track.release.preview_clip_seconds
    keys = track_stream_keys(track=track)
    if not keys or seconds <= 0:
        return False
    now = timezone.now()
    stale = now - timedelta(seconds=int(settings.TASK_STALE_SECONDS))
    queue = False
    with transaction.atomic():
        existing = set(Clip.objects.filter(track=track).values_list("format", flat=True))
        missing = [Clip(track=track, format=k, seconds=seconds) for k in keys if k not in existing]
        if missing:
            Clip.objects.bulk_create(missing, ignore_conflicts=True)
            queue = True
        # A new length: cut again (a cut in progress for the old length is discarded).
        if (
            Clip.objects.filter(track=track)
            .exclude(seconds=seconds)
            .update(seconds=seconds, status=ProcessingStatus.PENDING, error="", updated_at=now)
        ):
            queue = True
        if Clip.objects.filter(
            track=track,
            status__in=[ProcessingStatus.PENDING, ProcessingStatus.PROCESSING],
            updated_at__lt=stale,
        ).update(status=ProcessingStatus.PENDING, updated_at=now):
            queue = True
        if queue:
            transaction.on_commit(lambda: _clips_enqueue(track_id=track.pk))
    return queue


def _clips_enqueue(*, track_id: int) -> None:
    from disquaire.storefront.tasks import clips_make_task

    clips_make_task.enqueue(track_id=track_id)


def clips_request_release(*, release_id: int) -> int:
    """``clips_request`` for every processed track of a release that needs clips."""
    release = Release.objects.filter(pk=release_id).first()
    if release is None or not release_needs_clips(release=release):
        return 0
    tracks = Track.objects.filter(release=release, status=ProcessingStatus.READY).select_related(
        "release"
    )
    return sum(clips_request(track=track) for track in tracks)


def clips_enqueue_missing() -> int:
    """Periodic job: queue clips for tracks that became ready or were left by a dead
    worker. (Track processing lives in the catalogue and sends no signal.)"""
    today = timezone.localdate()
    releases = Release.objects.exclude(visibility=Release.Visibility.DRAFT).filter(
        Q(preview_policy__in=[PreviewPolicy.CLIPS, PreviewPolicy.LIMITED])
        | Q(release_date__gt=today)
    )
    tracks = (
        Track.objects.filter(release__in=releases, status=ProcessingStatus.READY)
        .select_related("release")
        .prefetch_related("renditions", CLIPS_PREFETCH)
    )
    stale = timezone.now() - timedelta(seconds=int(settings.TASK_STALE_SECONDS))
    queued = 0
    for track in tracks:
        keys = set(track_stream_keys(track=track, renditions=track.renditions.all()))
        clips = {c.format: c for c in track_clips(track)}
        seconds = track.release.preview_clip_seconds
        settled = all(
            k in clips
            and clips[k].seconds == seconds
            and (
                clips[k].status in (ProcessingStatus.READY, ProcessingStatus.FAILED)
                or clips[k].updated_at >= stale
            )
            for k in keys
        )
        if not settled and clips_request(track=track):
            queued += 1
    return queued


def _local_copy(name: str, workdir: Path) -> Path:
    try:
        return Path(default_storage.path(name))
    except NotImplementedError:
        target = workdir / f"source{Path(name).suffix}"
        with default_storage.open(name, "rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        return target


def clips_make(*, track_id: int) -> int:
    """Cut the pending clips of a track (the task's body); returns how many were made.

    Each clip is claimed (pending -> processing) so a duplicate task skips it; the file
    is the first ``seconds`` of the streaming rendition, copied without re-encoding
    (``-t`` cuts at the packet before the limit, so it never holds more than N seconds
    and a frame). The result is written only if the clip still wants that length;
    failures are recorded on the clip.
    """
    track = Track.objects.select_related("release").filter(pk=track_id).first()
    if track is None:
        return 0
    made = 0
    for clip in Clip.objects.filter(track=track, status=ProcessingStatus.PENDING):
        claimed = Clip.objects.filter(pk=clip.pk, status=ProcessingStatus.PENDING).update(
            status=ProcessingStatus.PROCESSING, updated_at=timezone.now()
        )
        if not claimed:
            continue
        clip.refresh_from_db()
        try:
            made += _clip_cut(track=track, clip=clip)
        except Exception as exc:
            reason = (getattr(exc, "reason", None) or str(exc) or type(exc).__name__)[:2000]
            logger.warning("clip %s of track %s failed: %s", clip.format, track.pk, reason)
            Clip.objects.filter(pk=clip.pk, status=ProcessingStatus.PROCESSING).update(
                status=ProcessingStatus.FAILED, error=reason, updated_at=timezone.now()
            )
    return made


def _clip_cut(*, track: Track, clip: Clip) -> int:
    rendition = Rendition.objects.filter(
        track=track, format=clip.format, status=ProcessingStatus.READY
    ).first()
    if rendition is None or not rendition.file.name:
        raise ClipError(f"the {clip.format} stream is not ready")
    if clip.format == ORIGINAL:
        codec, extension, _ = original_kind(track)
        muxer = _ORIGINAL_MUXERS.get(codec)
        if muxer is None:
            raise ClipError(f"cannot cut a {codec} original")
    else:
        extension, muxer = FORMATS[clip.format].extension, (FORMATS[clip.format].muxer,)
    scratch = Path(settings.SCRATCH_DIR)
    scratch.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"clip-{track.pk}-", dir=scratch))
    try:
        source = _local_copy(rendition.file.name, workdir)
        out = workdir / f"clip{extension}"
        args: list[str | os.PathLike[str]] = [
            *ffmpeg_input(source),
            "-map",
            "0:a:0",
            "-t",
            str(clip.seconds),
        ]
        run_ffmpeg([*args, "-c:a", "copy", "-f", *muxer, out], what="cutting the clip")
        name = storage_save_path(
            name=f"clips/{track.release_id}/{track.pk}/{clip.format}-{clip.seconds}s{extension}",
            path=out,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    old = clip.file.name
    stored = Clip.objects.filter(
        pk=clip.pk, status=ProcessingStatus.PROCESSING, seconds=clip.seconds
    ).update(file=name, status=ProcessingStatus.READY, error="", updated_at=timezone.now())
    if not stored:  # the length changed meanwhile: this cut is already outdated
        default_storage.delete(name)
        return 0
    if old and old != name:
        default_storage.delete(old)
    return 1
