"""What a visitor hears: the player's data, signed stream URLs, what a stream token names."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from disquaire.audio.formats import FORMATS, ORIGINAL
from disquaire.catalog.models import (
    PreviewPolicy,
    ProcessingStatus,
    Release,
    Track,
)
from disquaire.core.signing import token_make, token_read
from disquaire.storefront.clips import (
    CLIPS_PREFETCH,
    clips_request,
    original_kind,
    track_clips,
    track_stream_keys,
)
from disquaire.storefront.listening.access import (
    Listener,
    listener_has_full_access,
    release_preview_digest,
)
from disquaire.storefront.listening.plays import listen_play_claim, listen_plays_left
from disquaire.storefront.listening.shared import shared_entries
from disquaire.storefront.models import Clip

STREAM_PURPOSE = "stream"


FULL = "full"


CLIP = "clip"


MODES = (FULL, CLIP)


PEAKS_POINTS = 200


class StreamRefused(Exception):
    """A correctly signed stream token names something that is not a stream (403)."""


class StreamUnavailable(Exception):
    """The stream or clip does not exist (yet): 404."""


def _stream_ttl() -> int:
    return int(settings.DISQUAIRE_STREAM_TOKEN_TTL)


def listen_base_mode(*, release: Release, request: HttpRequest, preview: bool) -> str:
    """``full`` or ``clip`` before play counting; for "limited", ``full`` means "may
    claim a full play" (``listen_play_claim`` has the last word)."""
    if preview or listener_has_full_access(release=release, request=request):
        return FULL
    if release.preview_policy == PreviewPolicy.CLIPS:
        return CLIP
    # Before release day everyone else hears clips, whatever the policy: "limited" plays
    # counted per device would let anyone hear the whole record early by clearing a
    # cookie.
    if release.release_date is not None and release.release_date > timezone.localdate():
        return CLIP
    return FULL


def stream_content_type(*, track: Track, key: str) -> str:
    """The MIME type a stream of ``key`` is served with."""
    if key == ORIGINAL:
        return str(original_kind(track)[2])
    return FORMATS[key].mime


def _source_type(*, track: Track, key: str) -> str:
    # For canPlayType(): Ogg may hold Vorbis or Opus, and not every browser plays Opus.
    content_type = stream_content_type(track=track, key=key)
    codec = FORMATS[key].codec if key != ORIGINAL else track.master_codec
    if content_type == "audio/ogg" and codec in ("opus", "vorbis"):
        return f"audio/ogg; codecs={codec}"
    return content_type


def stream_url(*, track: Track, key: str, mode: str, preview_digest: str | None = None) -> str:
    """A signed, expiring ``/stream/<token>`` URL (path only) for one stream."""
    return _stream_url(track_id=track.pk, key=key, mode=mode, preview_digest=preview_digest)


def _stream_url(*, track_id: int, key: str, mode: str, preview_digest: str | None) -> str:
    payload: dict[str, Any] = {"t": track_id, "f": key, "m": mode}
    if preview_digest:
        payload["p"] = preview_digest
    token = token_make(purpose=STREAM_PURPOSE, payload=payload, ttl_seconds=_stream_ttl())
    return reverse("storefront:stream", kwargs={"token": token})


def _sources(*, track: Track, mode: str, preview_digest: str | None) -> list[dict[str, str]]:
    """Playable sources of ``track`` in ``mode``, Opus first (smaller, where supported),
    then the universal stream; empty when nothing is ready yet."""
    return _signed(track.pk, _source_keys(track=track, mode=mode), mode, preview_digest)


def _signed(
    track_id: int, keys: list[tuple[str, str]], mode: str, preview_digest: str | None
) -> list[dict[str, str]]:
    return [
        {
            "src": _stream_url(
                track_id=track_id, key=key, mode=mode, preview_digest=preview_digest
            ),
            "type": kind,
        }
        for key, kind in keys
    ]


def _source_keys(*, track: Track, mode: str) -> list[tuple[str, str]]:
    """(stream key, source type) of each playable source of ``track`` in ``mode``."""
    renditions = list(track.renditions.all())
    keys = track_stream_keys(track=track, renditions=renditions)
    if mode == FULL:
        ready = {r.format for r in renditions if r.status == ProcessingStatus.READY}
    else:
        seconds = track.release.preview_clip_seconds
        ready = {
            c.format
            for c in track_clips(track)
            if c.status == ProcessingStatus.READY and c.seconds == seconds
        }
    usable = [key for key in keys if key in ready]
    usable.sort(key=lambda key: 0 if key == "opus-96" else 1)
    return [(key, _source_type(track=track, key=key)) for key in usable]


def _peaks(peaks: Any, points: int = PEAKS_POINTS) -> list[float]:
    """``peaks`` folded to at most ``points`` values (each the max of its slice)."""
    if not isinstance(peaks, list) or not peaks:
        return []
    values = [float(v) if isinstance(v, int | float) else 0.0 for v in peaks]
    if len(values) <= points:
        return [round(v, 3) for v in values]
    size = len(values) / points
    return [
        round(max(values[int(i * size) : max(int(i * size) + 1, int((i + 1) * size))]), 3)
        for i in range(points)
    ]


def listen_tracks(*, release: Release) -> list[Track]:
    """The release's playable tracks (processed), in order, with what ``_sources`` reads."""
    return list(
        Track.objects.filter(release=release, status=ProcessingStatus.READY)
        .select_related("release")
        .prefetch_related("renditions", CLIPS_PREFETCH)
        .order_by("position")
    )


def listen_track_entry(
    *, track: Track, mode: str, preview_digest: str | None, claim_url: str | None = None
) -> dict[str, Any]:
    """One track as the player sees it (see ``listen_data_build``)."""
    sources = [] if claim_url else _sources(track=track, mode=mode, preview_digest=preview_digest)
    if mode == CLIP and not sources:
        clips_request(track=track)
    return _entry_with(_entry_shared(track=track, mode=mode), sources, claim_url)


def _entry_with(
    shared: dict[str, Any], sources: list[dict[str, str]], claim: str | None
) -> dict[str, Any]:
    return {**shared, "sources": sources, "claim": claim, "pending": not sources and not claim}


def _entry_shared(*, track: Track, mode: str) -> dict[str, Any]:
    """What a track entry holds for every visitor alike (no signed URL)."""
    return {
        "id": track.pk,
        "position": track.position,
        "title": track.title,
        "duration": track.duration_s,
        "peaks": _peaks(track.peaks),
        "mode": mode,
        "clip_seconds": track.release.preview_clip_seconds if mode == CLIP else None,
    }


def listen_data_build(
    *, release: Release, request: HttpRequest, preview: bool, listener: Listener | None
) -> dict[str, Any]:
    """What the player needs for one visitor, as JSON-ready data.

    ``tracks[].sources`` are signed URLs ready to play. For a "limited" release with
    plays left, full tracks are not minted up front (a page view would use every play):
    ``sources`` is empty and ``claim`` is the URL the player POSTs to when the track
    starts, which counts the play and answers the track entry with its sources.
    ``pending`` means no file is ready yet (a clip still being cut).
    """
    base = listen_base_mode(release=release, request=request, preview=preview)
    digest = release_preview_digest(release=release) if preview else None
    limited = (
        release.preview_policy == PreviewPolicy.LIMITED
        and not preview
        and base == FULL
        and listener is not None
    )
    plays_left: int | None = None
    if limited:
        assert listener is not None
        plays_left = listen_plays_left(release=release, listener=listener)
    mode = CLIP if plays_left == 0 else base
    claims = limited and mode == FULL
    tracks = []
    if digest is None:
        # Every visitor of the release in this mode shares the list: only the signed
        # URLs are theirs (listening.shared).
        def build() -> list[tuple[dict[str, Any], list[tuple[str, str]]]]:
            return [
                (_entry_shared(track=track, mode=mode), _source_keys(track=track, mode=mode))
                for track in listen_tracks(release=release)
            ]

        for shared, keys in shared_entries(release=release, mode=mode, build=build):
            claim = _claim_url(release.pk, shared["id"]) if claims else None
            sources = [] if claim else _signed(shared["id"], keys, mode, None)
            if mode == CLIP and not sources and not claim:
                clips_request(track=Track.objects.get(pk=shared["id"]))
            tracks.append(_entry_with(shared, sources, claim))
    else:
        for track in listen_tracks(release=release):
            claim = _claim_url(release.pk, track.pk) if claims else None
            tracks.append(
                listen_track_entry(track=track, mode=mode, preview_digest=digest, claim_url=claim)
            )
    return {
        "release": release.pk,
        "policy": release.preview_policy,
        "plays_left": plays_left,
        "full_plays": release.preview_full_plays if limited else None,
        "clip_seconds": release.preview_clip_seconds,
        "buy_url": release.get_absolute_url() + "#buy-title",
        "tracks": tracks,
    }


def _claim_url(release_id: int, track_id: int) -> str:
    return reverse(
        "storefront:listen_play", kwargs={"release_id": release_id, "track_id": track_id}
    )


def listen_play_start(
    *,
    release: Release,
    track: Track,
    request: HttpRequest,
    preview: bool,
    listener: Listener | None,
) -> tuple[dict[str, Any], int | None]:
    """The track entry for a visitor who starts ``track`` now, counting a full play of a
    "limited" release (falling back to the clip once none is left); plus plays left."""
    base = listen_base_mode(release=release, request=request, preview=preview)
    digest = release_preview_digest(release=release) if preview else None
    plays_left: int | None = None
    mode = base
    if (
        release.preview_policy == PreviewPolicy.LIMITED
        and not preview
        and base == FULL
        and listener is not None
    ):
        granted, plays_left = listen_play_claim(release=release, listener=listener)
        mode = FULL if granted else CLIP
    track = (
        Track.objects.select_related("release")
        .prefetch_related("renditions", CLIPS_PREFETCH)
        .get(pk=track.pk)
    )
    return listen_track_entry(track=track, mode=mode, preview_digest=digest), plays_left


@dataclass(frozen=True)
class StreamFile:
    name: str
    content_type: str
    etag: str


def stream_resolve(*, token: str) -> StreamFile:
    """The file a stream token names, after checking it may still be streamed.

    Raises TokenInvalid/TokenExpired (403/410), StreamRefused (403: a format that is not
    a stream of this track, full audio of a clips-only release) or StreamUnavailable
    (404: no such track, a draft, a non-public release without a current preview
    digest, a file not ready).
    """
    payload = token_read(purpose=STREAM_PURPOSE, token=token)
    track_id, key, mode = payload.get("t"), payload.get("f"), payload.get("m")
    if not isinstance(track_id, int) or not isinstance(key, str) or mode not in MODES:
        raise StreamRefused("malformed stream token")
    track = Track.objects.select_related("release").filter(pk=track_id).first()
    if track is None:
        raise StreamUnavailable("no such track")
    release = track.release
    digest = payload.get("p")
    preview = isinstance(digest, str) and hmac.compare_digest(
        digest, release_preview_digest(release=release)
    )
    if release.visibility == Release.Visibility.DRAFT or not (release.is_public or preview):
        raise StreamUnavailable("not listenable")
    renditions = list(track.renditions.all())
    if key not in track_stream_keys(track=track, renditions=renditions):
        raise StreamRefused(f"{key} is not a stream of this track")
    content_type = stream_content_type(track=track, key=key)
    if mode == FULL:
        if release.preview_policy == PreviewPolicy.CLIPS and not preview:
            raise StreamRefused("this release is heard as clips")
        rendition = next(
            (r for r in renditions if r.format == key and r.status == ProcessingStatus.READY),
            None,
        )
        if rendition is None or not rendition.file.name:
            raise StreamUnavailable("not ready")
        return StreamFile(
            name=rendition.file.name,
            content_type=content_type,
            etag=rendition.sha256 or f"r{rendition.pk}-{rendition.bytes}",
        )
    clip = Clip.objects.filter(
        track=track,
        format=key,
        status=ProcessingStatus.READY,
        seconds__lte=release.preview_clip_seconds,
    ).first()
    if clip is None or not clip.file.name:
        raise StreamUnavailable("clip not ready")
    return StreamFile(
        name=clip.file.name,
        content_type=content_type,
        etag=f"clip-{clip.pk}-{clip.seconds}-{int(clip.updated_at.timestamp())}",
    )
