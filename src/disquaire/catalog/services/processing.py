"""Processing tracks in the worker: transcoding, failures, retries, recovering stale work."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from disquaire.audio import (
    AudioRejected,
    probe,
    transcode_and_analyse,
    write_tags,
)
from disquaire.audio.formats import FORMATS
from disquaire.catalog.models import ProcessingStatus, Release, Rendition, Track
from disquaire.catalog.services.imports import tracks_enqueue
from disquaire.catalog.signals import track_processed
from disquaire.catalog.tagging import (
    ORIGINAL,
    cover_for_embedding,
    rendition_name,
    scratch_dir,
    tags_digest,
    track_tagset,
)
from disquaire.core.storage import sha256_file, storage_save_path

logger = logging.getLogger(__name__)


class _Heartbeat:
    """Throttled progress writer: keeps the track's heartbeat fresh while ffmpeg runs."""

    def __init__(self, track: Track, rendition_ids: list[int], every: float = 1.0) -> None:
        self.track = track
        self.rendition_ids = rendition_ids
        self.every = every
        self.last = 0.0

    def __call__(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        Track.objects.filter(pk=self.track.pk).update(heartbeat_at=timezone.now())
        Rendition.objects.filter(pk__in=self.rendition_ids).update(
            progress=max(0.0, min(fraction, 0.99))
        )


def _local_master(track: Track, workdir: Path) -> Path:
    try:
        return Path(default_storage.path(track.master.name))
    except NotImplementedError:
        target = workdir / f"master{Path(track.master.name).suffix}"
        with default_storage.open(track.master.name, "rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        return target


def track_process(*, track_id: int) -> None:
    """Analyse a track and make its missing renditions; safe to run twice.

    Claims the track (pending -> processing) so a duplicate task does nothing, makes
    the renditions, loudness and peaks in one decode of the master, writes every file
    through storage atomically, and on failure either schedules a retry or, after
    TASK_MAX_ATTEMPTS, marks the track failed with a readable error — at once when the
    master itself is at fault (truncated, nothing decodable).
    """
    now = timezone.now()
    claimed = Track.objects.filter(pk=track_id, status=ProcessingStatus.PENDING).update(
        status=ProcessingStatus.PROCESSING, heartbeat_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return
    track = Track.objects.select_related("release__artist").filter(pk=track_id).first()
    if track is None:  # deleted between the claim and this read
        return
    workdir = Path(tempfile.mkdtemp(prefix=f"track-{track_id}-", dir=scratch_dir()))
    stored: list[str] = []
    encoded: dict[str, float] = {}
    todo = list(track.renditions.exclude(status=ProcessingStatus.READY).exclude(format=ORIGINAL))
    try:
        master = _local_master(track, workdir)
        info = probe(master, max_tag_chars=settings.IMPORT_MAX_TAG_CHARS)
        if todo or track.peaks is None or track.loudness_lufs is None:
            if todo:
                Rendition.objects.filter(pk__in=[r.pk for r in todo]).update(
                    status=ProcessingStatus.PROCESSING, error=""
                )
            outputs = {
                r.format: workdir / f"out-{r.format}{FORMATS[r.format].extension}" for r in todo
            }
            encode_started = time.monotonic()
            # One decode: the renditions, the loudness and peaks, and the check that the
            # master decodes whole (AudioRejected when it does not).
            analysis = transcode_and_analyse(
                src=master,
                info=info,
                outputs=outputs,
                threads=settings.FFMPEG_THREADS,
                on_progress=_Heartbeat(track, [r.pk for r in todo]),
            )
            track.peaks = analysis.peaks
            track.loudness_lufs = analysis.integrated_lufs
            track.duration_ms = round(analysis.duration_s * 1000)
            track.save(update_fields=["peaks", "loudness_lufs", "duration_ms", "updated_at"])
            if todo:
                encoded = {"encode_seconds": round(time.monotonic() - encode_started, 3)}
        if todo:
            tags = track_tagset(track, cover_for_embedding(track.release))
            digest_of_tags = tags_digest(tags, cover_name=track.release.cover.name or "")
            for rendition in todo:
                out = outputs[rendition.format]
                write_tags(out, format_key=rendition.format, tags=tags)
                digest, size = sha256_file(out)
                name = rendition_name(track, rendition.format)
                if default_storage.exists(name):
                    default_storage.delete(name)
                stored.append(storage_save_path(name=name, path=out))
                rendition.file.name = stored[-1]
                rendition.bytes = size
                rendition.sha256 = digest
                rendition.status = ProcessingStatus.READY
                rendition.progress = 1.0
                rendition.error = ""
                rendition.tags_digest = digest_of_tags
                rendition.save(
                    update_fields=[
                        "file",
                        "bytes",
                        "sha256",
                        "status",
                        "progress",
                        "error",
                        "tags_digest",
                        "updated_at",
                    ]
                )
        Track.objects.filter(pk=track.pk).update(
            status=ProcessingStatus.READY, error="", heartbeat_at=timezone.now(), **encoded
        )
    except Exception as exc:
        if not Track.objects.filter(pk=track_id).exists():
            # Deleted by the band while it was processed: its rows are gone, and so must
            # be the files this run stored after the deletion collected their names.
            logger.info("track %s was deleted while being processed", track_id)
            for name in stored:
                default_storage.delete(name)
            return
        _track_fail(track=track, exc=exc, final=isinstance(exc, AudioRejected))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if not Track.objects.filter(pk=track_id).exists():
        for name in stored:  # deleted just after its last write
            default_storage.delete(name)
        return
    track.refresh_from_db()
    if track.status in (ProcessingStatus.READY, ProcessingStatus.FAILED):
        track_processed.send(sender=Track, track=track)


def _readable(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    return reason.strip()[:2000]


def _track_fail(*, track: Track, exc: Exception, final: bool = False) -> None:
    """Retry later, or — after TASK_MAX_ATTEMPTS, or at once when ``final`` (the master
    itself is at fault: trying again cannot help) — mark the track failed with the reason."""
    track.refresh_from_db(fields=["attempts"])
    reason = _readable(exc)
    logger.warning("processing track %s failed (attempt %s): %s", track.pk, track.attempts, reason)
    if not final and track.attempts < settings.TASK_MAX_ATTEMPTS:
        delay = 5 * 2 ** (track.attempts - 1)
        Track.objects.filter(pk=track.pk).update(
            status=ProcessingStatus.PENDING,
            error=f"{reason} (attempt {track.attempts} of {settings.TASK_MAX_ATTEMPTS}; retrying)",
        )
        Rendition.objects.filter(track=track, status=ProcessingStatus.PROCESSING).update(
            status=ProcessingStatus.PENDING
        )
        from disquaire.catalog.tasks import track_process_task

        result = track_process_task.using(
            run_after=timezone.now() + timedelta(seconds=delay)
        ).enqueue(track_id=track.pk)
        Track.objects.filter(pk=track.pk).update(task_id=str(result.id))
    else:
        Track.objects.filter(pk=track.pk).update(status=ProcessingStatus.FAILED, error=reason)
        Rendition.objects.filter(track=track).exclude(status=ProcessingStatus.READY).update(
            status=ProcessingStatus.FAILED, error=reason
        )


def track_retry(*, track: Track) -> None:
    """Start a failed track again from a clean slate of attempts."""
    with transaction.atomic():
        updated = Track.objects.filter(pk=track.pk, status=ProcessingStatus.FAILED).update(
            status=ProcessingStatus.PENDING, attempts=0, error=""
        )
        if updated:
            Rendition.objects.filter(track=track, status=ProcessingStatus.FAILED).update(
                status=ProcessingStatus.PENDING, error="", progress=0
            )
            transaction.on_commit(lambda: tracks_enqueue(tracks=[track]))


def tracks_recover_stale() -> int:
    """Put back in the queue the tracks whose worker died or whose task was lost.

    A track is stale when it is 'processing' with no heartbeat for
    TASK_STALE_SECONDS, or 'pending' while its task has finished or vanished.
    """
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(seconds=settings.TASK_STALE_SECONDS)
    stale = list(
        Track.objects.filter(status=ProcessingStatus.PROCESSING).filter(
            Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
        )
    )
    pending = Track.objects.filter(status=ProcessingStatus.PENDING, updated_at__lt=cutoff)
    waiting_ids = set(
        str(i)
        for i in DBTaskResult.objects.filter(id__in=[t.task_id for t in pending if t.task_id])
        .filter(status__in=["READY", "RUNNING"])
        .values_list("id", flat=True)
    )
    lost = [t for t in pending if str(t.task_id) not in waiting_ids]
    recovered = []
    for track in stale:
        if Track.objects.filter(
            pk=track.pk, status=ProcessingStatus.PROCESSING, heartbeat_at=track.heartbeat_at
        ).update(status=ProcessingStatus.PENDING):
            Rendition.objects.filter(track=track, status=ProcessingStatus.PROCESSING).update(
                status=ProcessingStatus.PENDING
            )
            recovered.append(track)
    recovered.extend(lost)
    if recovered:
        logger.warning("re-queueing %d track(s) left by a dead worker", len(recovered))
        tracks_enqueue(tracks=recovered)
    return len(recovered)


def release_processing_done(*, release: Release) -> bool:
    return not release.tracks.filter(
        status__in=[ProcessingStatus.PENDING, ProcessingStatus.PROCESSING]
    ).exists()
