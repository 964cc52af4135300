"""Catalogue services: importing a release, processing its tracks, recovering lost work."""

from __future__ import annotations

import functools
import logging
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from disquaire.audio import (
    AudioError,
    AudioInfo,
    AudioRejected,
    extract_embedded_cover,
    load_image,
    plan,
    probe,
    transcode_and_analyse,
    write_tags,
)
from disquaire.audio.formats import FORMATS
from disquaire.catalog import sources
from disquaire.catalog.models import Artist, ProcessingStatus, Release, Rendition, Track
from disquaire.catalog.signals import track_processed
from disquaire.catalog.tagging import (
    ORIGINAL,
    cover_for_embedding,
    release_retag_soon,
    rendition_name,
    scratch_dir,
    tags_digest,
    track_tagset,
)
from disquaire.catalog.validators import ISRC_RE, RESERVED_SLUGS, normalise_isrc
from disquaire.core.storage import sha256_file, storage_save_bytes, storage_save_path

logger = logging.getLogger(__name__)


class ImportError_(Exception):
    """The import cannot start at all (no such path, nothing importable…)."""


@dataclass
class ImportResult:
    release: Release | None
    tracks: list[Track] = field(default_factory=list)
    rejected: list[sources.Rejected] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if not self.tracks:
            return 2
        return 1 if self.rejected else 0


@dataclass
class _Candidate:
    path: Path
    rel: str
    info: AudioInfo


def _unique_slug(base: str, taken: Callable[[str], bool], *, max_length: int) -> str:
    root = (slugify(base) or "untitled")[: max_length - 6].strip("-") or "untitled"
    candidate = root if root not in RESERVED_SLUGS else f"{root}-1"
    counter = 1
    while taken(candidate):
        counter += 1
        candidate = f"{root}-{counter}"
    return candidate


def artist_get_or_create(*, name: str) -> Artist:
    """The artist called ``name`` (case-insensitive), created when new."""
    name = name.strip()
    if not name:
        raise ImportError_("an artist name is required")
    existing = Artist.objects.filter(name__iexact=name).first()
    if existing is not None:
        return existing
    slug = _unique_slug(name, lambda s: Artist.objects.filter(slug=s).exists(), max_length=80)
    return Artist.objects.create(name=name, slug=slug)


def _probe_candidate(path: Path, rel: str) -> _Candidate:
    if path.stat().st_size == 0:
        raise AudioError("empty file")
    if path.stat().st_size > settings.IMPORT_MAX_FILE_BYTES:
        raise AudioError(f"larger than the {settings.IMPORT_MAX_FILE_BYTES} bytes allowed")
    # The header only: the full decode that catches a truncated file is the one that
    # makes its renditions (``track_process``), so the band does not wait for it here.
    info = probe(path, max_tag_chars=settings.IMPORT_MAX_TAG_CHARS)
    return _Candidate(path=path, rel=rel, info=info)


def _order(candidates: list[_Candidate]) -> list[_Candidate]:
    numbers = [(c.info.tags.disc_number or 1, c.info.tags.track_number) for c in candidates]
    if all(n[1] for n in numbers) and len(set(numbers)) == len(numbers):
        return [c for _, c in sorted(zip(numbers, candidates, strict=True), key=lambda x: x[0])]
    return sorted(candidates, key=lambda c: sources.natural_key(c.rel))


def _release_title(candidates: list[_Candidate], fallback: str) -> str:
    albums = Counter(c.info.tags.album for c in candidates if c.info.tags.album)
    if albums:
        return albums.most_common(1)[0][0]
    return sources.title_from_filename(Path(fallback)) or fallback


def _release_date(candidates: list[_Candidate]) -> date | None:
    years = Counter(c.info.tags.year for c in candidates if c.info.tags.year)
    if not years:
        return None
    year = years.most_common(1)[0][0]
    return date(year, 1, 1) if 1000 <= year <= 9999 else None


def _cover_bytes(
    gathered: sources.Gathered, candidates: list[_Candidate], rejected: list[sources.Rejected]
) -> bytes | None:
    """The cover: cover.*/folder.*/front.*, else the first embedded picture that loads."""
    picked = sources.pick_cover(gathered)
    tries: list[tuple[str, Callable[[], bytes | None]]] = []
    if picked is not None:
        tries.append((gathered.relative(picked), picked.read_bytes))
    for candidate in candidates:
        if candidate.info.has_cover:
            tries.append(
                (
                    f"{candidate.rel} (embedded cover)",
                    functools.partial(extract_embedded_cover, candidate.path),
                )
            )
    for label, read in tries:
        data = read()
        if not data:
            continue
        try:
            artwork = load_image(data, max_pixels=settings.IMPORT_MAX_IMAGE_PIXELS)
        except AudioError as exc:
            rejected.append(sources.Rejected(label, exc.reason))
            continue
        return artwork.jpeg
    return None


def release_import(
    *,
    artist_name: str,
    path: Path,
    title: str | None = None,
    publish: bool = False,
    on_file: Callable[[str], None] | None = None,
) -> ImportResult:
    """Import a folder or a zip of audio as a new release.

    Every file is probed first (its header and tags); bad ones are rejected with a
    reason and the rest imported. Masters are copied into storage before one short
    transaction creates the rows; processing tasks are enqueued after commit. A file
    whose audio turns out truncated or undecodable is refused when it is processed: its
    track fails with the reason.
    """
    path = Path(path)
    if not path.exists():
        raise ImportError_(f"{path} does not exist")
    scratch = Path(settings.SCRATCH_DIR)
    scratch.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="import-", dir=scratch))
    stored: list[str] = []
    try:
        if path.is_dir():
            gathered = sources.gather_folder(path)
        elif path.suffix.lower() == ".zip":
            try:
                gathered = sources.gather_zip(
                    path, into=workdir / "zip", max_file_bytes=settings.IMPORT_MAX_FILE_BYTES
                )
            except Exception as exc:  # zipfile raises several kinds on a broken archive
                raise ImportError_(f"{path.name} is not a readable zip: {exc}") from exc
        elif path.is_file() and path.suffix.lower() in sources.AUDIO_EXTENSIONS:
            gathered = sources.Gathered(root=path.parent, audio=[path])
        else:
            raise ImportError_(f"{path} is neither a folder, a zip nor an audio file")

        rejected = list(gathered.rejected)
        candidates: list[_Candidate] = []
        for audio_path in gathered.audio:
            rel = gathered.relative(audio_path)
            if on_file:
                on_file(rel)
            try:
                candidates.append(_probe_candidate(audio_path, rel))
            except AudioError as exc:
                rejected.append(sources.Rejected(rel, exc.reason))
        result = ImportResult(release=None, rejected=rejected)
        for candidate in candidates:
            for tag in candidate.info.truncated_tags:
                result.notes.append(f"{candidate.rel}: tag {tag} was cut to fit")
        if not candidates:
            if not gathered.audio:
                result.rejected.append(sources.Rejected(path.name, "no audio files found"))
            return result

        ordered = _order(candidates)
        cover = _cover_bytes(gathered, ordered, rejected)
        token = uuid.uuid4().hex[:12]
        masters: list[tuple[_Candidate, str, str, int]] = []
        for position, candidate in enumerate(ordered, start=1):
            digest, size = sha256_file(candidate.path)
            safe = slugify(candidate.path.stem)[:60] or "track"
            name = storage_save_path(
                name=f"masters/{token}/{position:02d}-{safe}{candidate.path.suffix.lower()}",
                path=candidate.path,
            )
            stored.append(name)
            masters.append((candidate, name, digest, size))
        cover_name = storage_save_bytes(name=f"covers/{token}.jpg", data=cover) if cover else ""
        if cover_name:
            stored.append(cover_name)

        fallback_title = path.stem if path.is_file() else path.name
        with transaction.atomic():
            artist = artist_get_or_create(name=artist_name)
            release_title = (title or "").strip() or _release_title(ordered, fallback_title)
            release = Release.objects.create(
                artist=artist,
                title=release_title[:300],
                slug=_unique_slug(
                    release_title,
                    lambda s: Release.objects.filter(artist=artist, slug=s).exists(),
                    max_length=120,
                ),
                kind=_kind_for(len(ordered)),
                release_date=_release_date(ordered) or timezone.localdate(),
                cover=cover_name,
                cover_alt="",
                visibility=Release.Visibility.PUBLISHED if publish else Release.Visibility.DRAFT,
            )
            for position, (candidate, name, digest, size) in enumerate(masters, start=1):
                info = candidate.info
                tags = info.tags
                track_title = tags.title or sources.title_from_filename(candidate.path)
                track = Track.objects.create(
                    release=release,
                    position=position,
                    title=track_title[:300],
                    slug=(slugify(track_title)[:120] or f"track-{position}"),
                    duration_ms=round(info.duration_s * 1000),
                    isrc=_clean_isrc(tags.isrc),
                    master=name,
                    master_filename=candidate.path.name[:300],
                    master_bytes=size,
                    master_sha256=digest,
                    master_codec=info.codec,
                    master_lossless=info.lossless,
                    master_sample_rate=info.sample_rate,
                    master_bit_depth=info.bit_depth,
                    master_channels=info.channels,
                    master_bitrate_kbps=info.bitrate_kbps,
                )
                _renditions_plan(track=track, info=info)
                result.tracks.append(track)
            result.release = release
            transaction.on_commit(lambda: tracks_enqueue(tracks=result.tracks))
        stored.clear()
        return result
    finally:
        for name in stored:  # the import failed after copying: leave nothing behind
            default_storage.delete(name)
        shutil.rmtree(workdir, ignore_errors=True)


def _kind_for(count: int) -> str:
    """A first guess the band can change: 1–2 tracks a single, up to 6 an EP."""
    if count <= 2:
        return Release.Kind.SINGLE
    if count <= 6:
        return Release.Kind.EP
    return Release.Kind.ALBUM


def _clean_isrc(value: str | None) -> str:
    cleaned = normalise_isrc(value or "")
    return cleaned if ISRC_RE.match(cleaned) else ""


def _renditions_plan(*, track: Track, info: AudioInfo) -> None:
    keys = plan(info)
    rows = []
    for key in keys:
        if key == ORIGINAL:
            rows.append(
                Rendition(
                    track=track,
                    format=ORIGINAL,
                    file=track.master.name,
                    bytes=track.master_bytes,
                    sha256=track.master_sha256,
                    status=ProcessingStatus.READY,
                    progress=1.0,
                )
            )
        else:
            rows.append(Rendition(track=track, format=key))
    Rendition.objects.bulk_create(rows)


def tracks_enqueue(*, tracks: Iterable[Track]) -> None:
    """Queue the processing task of each track (call after commit)."""
    from disquaire.catalog.tasks import track_process_task

    for track in tracks:
        result = track_process_task.enqueue(track_id=track.pk)
        Track.objects.filter(pk=track.pk).update(task_id=str(result.id))


# --- processing -------------------------------------------------------------------------


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


# --- backstage: building a release from the browser ------------------------------------


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
                master_filename=Path(filename).name[:300],
                master_bytes=size,
                master_sha256=digest,
                master_codec=info.codec,
                master_lossless=info.lossless,
                master_sample_rate=info.sample_rate,
                master_bit_depth=info.bit_depth,
                master_channels=info.channels,
                master_bitrate_kbps=info.bitrate_kbps,
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


def track_delete(*, track: Track) -> None:
    """Delete ``track`` with its renditions, and close the gap in the tracklist.

    The caller has checked that nothing else needs it (nobody bought or was given its
    release: ``backstage.services.track_delete``). Rows that refer to it and must not
    lose it (an order line's offer) make the deletion fail whole
    (``ProtectedError``/``IntegrityError``). The stored files go once the deletion is
    committed; a track still being processed stops at its next write and leaves nothing.
    """
    with transaction.atomic():
        # The release row serialises this with uploads appending tracks and reorders.
        Release.objects.select_for_update().filter(pk=track.release_id).first()
        track.delete()
        remaining = list(
            Track.objects.filter(release_id=track.release_id)
            .order_by("position")
            .values_list("pk", flat=True)
        )
        if remaining:
            tracks_reorder(release=Release(pk=track.release_id), track_ids=remaining)


def release_delete(*, release: Release) -> None:
    """Delete ``release`` with its tracks, renditions and everything hanging from it.

    As ``track_delete``: the caller has checked that nobody bought or was given it; a row
    that must keep it makes the deletion fail whole; files go after the commit.
    """
    with transaction.atomic():
        Release.objects.select_for_update().filter(pk=release.pk).first()
        release.delete()


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
