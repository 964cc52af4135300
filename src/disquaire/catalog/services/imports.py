"""Importing a release from a folder of audio files, and planning its tracks' renditions."""

from __future__ import annotations

import functools
import logging
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from disquaire.audio import (
    AudioError,
    AudioInfo,
    extract_embedded_cover,
    load_image,
    plan,
    probe,
)
from disquaire.catalog import sources
from disquaire.catalog.models import Artist, ProcessingStatus, Release, Rendition, Track
from disquaire.catalog.tagging import (
    ORIGINAL,
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
                    **master_fields(
                        info=info, filename=candidate.path.name, size=size, digest=digest
                    ),
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


def master_fields(*, info: AudioInfo, filename: str, size: int, digest: str) -> dict[str, Any]:
    """The master columns of a new track, from what the probe found in its file."""
    return {
        "master_filename": filename[:300],
        "master_bytes": size,
        "master_sha256": digest,
        "master_codec": info.codec,
        "master_lossless": info.lossless,
        "master_sample_rate": info.sample_rate,
        "master_bit_depth": info.bit_depth,
        "master_channels": info.channels,
        "master_bitrate_kbps": info.bitrate_kbps,
    }


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
