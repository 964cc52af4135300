"""Reads of delivery: what an entitlement opens, in which formats, at which sizes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from disquaire.audio.formats import FORMATS, ORIGINAL, original_extension, original_mime
from disquaire.catalog.models import ProcessingStatus, Release, Rendition, Track
from disquaire.core.addresses import email_normalise
from disquaire.delivery.models import CodeBatch, Entitlement, EntitlementSource

FILENAME_MAX = 150


def filename_safe(text: str, *, fallback: str = "untitled") -> str:
    """``text`` as one file name component: NFC, no path separators, no control
    characters, no leading dots, spaces collapsed, at most FILENAME_MAX characters."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(
        "-" if ch in "/\\" else " " if unicodedata.category(ch).startswith("C") else ch
        for ch in text
    )
    text = re.sub(r"\s+", " ", text).strip().lstrip(".").strip()
    return text[:FILENAME_MAX].rstrip() or fallback


def entitlement_is_locked(entitlement: Entitlement, *, today: object | None = None) -> bool:
    """A pre-order: the release date is still in the future."""
    release = entitlement.item_release
    day = today or timezone.localdate()
    return release.release_date is not None and release.release_date > day  # type: ignore[operator]


def entitlements_by_ids(ids: Iterable[int]) -> list[Entitlement]:
    return list(
        Entitlement.objects.filter(pk__in=list(ids))
        .select_related("release__artist", "track__release__artist")
        .order_by("pk")
    )


def entitlements_for_email(*, email: str) -> QuerySet[Entitlement]:
    """Everything ever granted to ``email`` that is not revoked, newest first."""
    return (
        Entitlement.objects.filter(email=email_normalise(email), revoked_at__isnull=True)
        .select_related("release__artist", "track__release__artist")
        .order_by("-created_at")
    )


def entitlement_owns_release(*, email: str, release: Release) -> bool:
    """``email`` holds an unrevoked, unlocked entitlement to the whole ``release``."""
    if release.release_date is not None and release.release_date > timezone.localdate():
        return False
    return Entitlement.objects.filter(
        email=email_normalise(email), release=release, revoked_at__isnull=True
    ).exists()


@dataclass
class FileChoice:
    """One downloadable file: a track in one format."""

    track: Track
    rendition: Rendition
    filename: str
    content_type: str


@dataclass
class FormatChoice:
    """A format offered for an item, with what it weighs in total."""

    key: str
    label: str
    bytes: int
    files: list[FileChoice] = field(default_factory=list)


def track_extension(track: Track, key: str) -> tuple[str, str]:
    """(extension, MIME type) of ``track`` downloaded in format ``key``."""
    if key == ORIGINAL:
        try:
            return original_extension(track.master_codec), original_mime(track.master_codec)
        except KeyError:
            return "", "application/octet-stream"
    return FORMATS[key].extension, FORMATS[key].mime


def track_filename(track: Track, key: str) -> str:
    """``NN - Title.ext``, safe as a file name on every system."""
    extension, _ = track_extension(track, key)
    return f"{track.position:02d} - {filename_safe(track.title)}{extension}"


def _download_keys() -> list[str]:
    return [key for key, fmt in FORMATS.items() if fmt.download]


def item_tracks(entitlement: Entitlement) -> list[Track]:
    """The tracks an entitlement opens, in order, with their ready renditions."""
    if entitlement.track_id is not None:
        query = Q(pk=entitlement.track_id)
    else:
        query = Q(release_id=entitlement.release_id)
    return list(
        Track.objects.filter(query)
        .select_related("release__artist")
        .prefetch_related("renditions")
        .order_by("position")
    )


def item_formats(tracks: list[Track]) -> list[FormatChoice]:
    """Download formats ready for every one of ``tracks`` (table order), with sizes.

    A format missing for one track is not offered for the item: the zip and the track
    list must agree. ``original`` is there when the lossy master is offered as is.
    """
    if not tracks:
        return []
    choices = []
    for key in _download_keys():
        files = []
        for track in tracks:
            rendition = next(
                (
                    r
                    for r in track.renditions.all()
                    if r.format == key and r.status == ProcessingStatus.READY and r.file.name
                ),
                None,
            )
            if rendition is None:
                break
            _, content_type = track_extension(track, key)
            files.append(
                FileChoice(
                    track=track,
                    rendition=rendition,
                    filename=track_filename(track, key),
                    content_type=content_type,
                )
            )
        else:
            choices.append(
                FormatChoice(
                    key=key,
                    label=str(FORMATS[key].label),
                    bytes=sum(f.rendition.bytes or 0 for f in files),
                    files=files,
                )
            )
    return choices


def item_has_track(*, entitlement: Entitlement, track_id: int) -> bool:
    """``track_id`` is one of the tracks the entitlement opens."""
    if entitlement.track_id is not None:
        return entitlement.track_id == track_id
    if entitlement.release_id is None:
        return False
    return Track.objects.filter(pk=track_id, release_id=entitlement.release_id).exists()


def file_choice(*, entitlement: Entitlement, track_id: int, key: str) -> FileChoice | None:
    """One ready file of the entitlement (a track in format ``key``) in one query, or
    None when the track is not the entitlement's or the file is not ready."""
    if key not in FORMATS or not FORMATS[key].download:
        return None
    query = Q(track_id=track_id)
    if entitlement.track_id is not None:
        query &= Q(track_id=entitlement.track_id)
    else:
        query &= Q(track__release_id=entitlement.release_id)
    rendition = (
        Rendition.objects.filter(query, format=key, status=ProcessingStatus.READY)
        .exclude(file="")
        .select_related("track__release__artist")
        # By id, not by the model's ordering (track, then the track's own ordering
        # through the release): one row at most, and far less to compile.
        .order_by("pk")
        .first()
    )
    if rendition is None:
        return None
    track = rendition.track
    _, content_type = track_extension(track, key)
    return FileChoice(
        track=track,
        rendition=rendition,
        filename=track_filename(track, key),
        content_type=content_type,
    )


def format_pick(choices: list[FormatChoice], *wanted: str | None) -> FormatChoice | None:
    """The first of ``wanted`` that is offered, else MP3 320 (plays everywhere), else
    the first offered."""
    by_key = {c.key: c for c in choices}
    for key in (*wanted, "mp3-320"):
        if key and key in by_key:
            return by_key[key]
    return choices[0] if choices else None


def order_download_page_url(*, order: Any) -> str:
    """A fresh signed link to the download page of a paid order's items ("" if none)."""
    from disquaire.delivery.links import download_page_url
    from disquaire.delivery.receivers import order_ref

    entitlements = list(
        Entitlement.objects.filter(
            source=EntitlementSource.ORDER, source_ref=order_ref(order), revoked_at__isnull=True
        )
    )
    return download_page_url(entitlements=entitlements, absolute=False) if entitlements else ""


def release_given(*, release_id: int) -> bool:
    """Anyone may download ``release`` or one of its tracks (even a revoked right is kept
    on record), or download codes were made for it: promises to fans that deleting it
    would break."""
    return (
        Entitlement.objects.filter(
            Q(release_id=release_id) | Q(track__release_id=release_id)
        ).exists()
        or CodeBatch.objects.filter(release_id=release_id).exists()
    )
