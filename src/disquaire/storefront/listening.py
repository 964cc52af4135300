"""Listening: who may hear what, signed stream URLs, play counting, free downloads.

Preview clips (cut on the server) are in ``storefront.clips``.

Pages are cached and identical for every visitor; everything that depends on the visitor
(which URLs, full or clip, plays left) is decided here and reaches the browser through
the JSON endpoint, the play claim and the no-JavaScript redirect (``views/listen.py``).

Stream URLs are ``/stream/<token>``, a ``core.signing`` token of purpose ``"stream"``
whose payload is ``{"t": track id, "f": format key, "m": "full" | "clip"}`` plus
``"p"`` (a digest of the release's preview token) when minted for a preview-link
visitor. They live ``DISQUAIRE_STREAM_TOKEN_TTL`` seconds (3 hours by default: long
enough to pause a track and come back, short enough that a copied URL soon dies).
Only streaming renditions (``streaming_keys``: mp3-128 and opus-96, or ``original`` for
a lossy master under 128 kbps) and clips are ever named; masters and download
renditions cannot be reached through a stream token.

Play counting (policy "limited"): a play counts when a *full* stream URL is minted for
a visitor, by ``listen_play_claim`` — called when the player starts a track (a POST) or
by the no-JavaScript redirect. Counting at byte 0 of the stream was rejected: browsers
re-request byte 0 (probe, then play; again after a seek back), so one listen would count
twice or more. The claim is one conditional ``UPDATE … SET plays = plays + 1 WHERE
plays < N``: the database checks and writes in one statement under the row's write lock,
so concurrent claims can never grant more than N (see ``listen_play_claim``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone

from disquaire.audio.formats import DOWNLOAD_FORMATS, FORMATS, ORIGINAL
from disquaire.catalog.models import (
    Membership,
    PreviewPolicy,
    ProcessingStatus,
    Release,
    Rendition,
    Track,
)
from disquaire.core.counters import day_count_add
from disquaire.core.signing import token_make, token_read
from disquaire.storefront.clips import (
    CLIPS_PREFETCH,
    clips_request,
    original_kind,
    track_clips,
    track_stream_keys,
)
from disquaire.storefront.models import Clip, PlayCount

STREAM_PURPOSE = "stream"
FULL = "full"
CLIP = "clip"
MODES = (FULL, CLIP)

LISTENER_COOKIE = "dq_listener"
LISTENER_SALT = "disquaire.listener"
_LISTENER_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")

PEAKS_POINTS = 200
"""Waveform points sent to the player (the stored peaks are folded down to this)."""


class ListenRefused(Exception):
    """The visitor may not listen to this release at all (answered with 404)."""


class StreamRefused(Exception):
    """A correctly signed stream token names something that is not a stream (403)."""


class StreamUnavailable(Exception):
    """The stream or clip does not exist (yet): 404."""


@dataclass(frozen=True)
class Listener:
    """Whose plays are counted: ``key`` for PlayCount, ``new_cookie`` to set if any."""

    key: str
    new_cookie: str | None = None


# --- who may listen ----------------------------------------------------------------------


def _stream_ttl() -> int:
    return int(settings.DISQUAIRE_STREAM_TOKEN_TTL)


def release_preview_digest(*, release: Release) -> str:
    """A short digest of the release's preview token, safe to put in a stream token.

    Stream tokens are signed but readable, so they carry this rather than the preview
    token itself; regenerating the preview token changes it, which revokes them.
    """
    mac = hmac.new(
        settings.SECRET_KEY.encode(), b"preview:" + release.preview_token.encode(), hashlib.sha256
    )
    return mac.hexdigest()[:16]


def release_preview_valid(*, release: Release, preview: str | None) -> bool:
    """``preview`` (from ``?preview=``) is the release's current preview token."""
    if not preview or release.visibility == Release.Visibility.DRAFT:
        return False
    return hmac.compare_digest(preview.encode(), release.preview_token.encode())


def release_preview_url(*, release: Release) -> str:
    """The absolute preview link of ``release``: its page with ``?preview=<token>``.

    Whoever holds it can open an unlisted or not-yet-public release and hear every
    track in full, without play counting. Drafts are never shown, link or not.
    """
    return f"{settings.SITE_URL}{release.get_absolute_url()}?preview={release.preview_token}"


def release_preview_link_revoke(*, release: Release) -> str:
    """Give ``release`` a new preview token, so the old link and every stream URL minted
    through it stop working; return the new preview URL."""
    release.preview_token = secrets.token_urlsafe(18)
    release.save(update_fields=["preview_token", "updated_at"])
    return release_preview_url(release=release)


def listen_gate(*, release: Release, preview: str | None) -> bool:
    """Whether the visitor came through a valid preview link; raise ListenRefused when
    they may not listen at all (a draft, or a non-public release without the link)."""
    if release.visibility == Release.Visibility.DRAFT:
        raise ListenRefused
    is_preview = release_preview_valid(release=release, preview=preview)
    if not is_preview and not release.is_public:
        raise ListenRefused
    return is_preview


def listener_has_full_access(*, release: Release, request: HttpRequest) -> bool:
    """Whether this visitor may always hear ``release`` in full, whatever its policy.

    A fan who owns the release (bought or redeemed) and a member of its band. No query
    for a visitor without a session; called for every listen-data request.
    """
    from disquaire.fans.selectors import fan_has_release

    user = getattr(request, "user", None)
    if (
        user is not None
        and user.is_authenticated
        and Membership.objects.filter(artist_id=release.artist_id, user=user).exists()
    ):
        return True  # a member of the band hears its records in full
    return fan_has_release(request=request, release=release)


def listener_identify(request: HttpRequest) -> Listener:
    """The listener whose plays are counted: the signed-in fan, else this device.

    A device is a random id in the signed, HttpOnly ``dq_listener`` cookie; a new one is
    returned in ``new_cookie`` for the view to set (``listener_remember``). Clearing the
    cookie resets a device's plays: limited plays are a nudge, not DRM.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Listener(key=f"u:{user.pk}")
    value = request.get_signed_cookie(LISTENER_COOKIE, default=None, salt=LISTENER_SALT)
    if value and _LISTENER_RE.match(value):
        return Listener(key=f"d:{value}")
    fresh = secrets.token_urlsafe(16)
    return Listener(key=f"d:{fresh}", new_cookie=fresh)


def listener_remember(
    *, response: HttpResponseBase, request: HttpRequest, listener: Listener | None
) -> None:
    """Set the device cookie on ``response`` when ``listener`` was just made up."""
    if listener is None or listener.new_cookie is None:
        return
    response.set_signed_cookie(
        LISTENER_COOKIE,
        listener.new_cookie,
        salt=LISTENER_SALT,
        max_age=int(settings.DISQUAIRE_LISTENER_COOKIE_AGE),
        httponly=True,
        samesite="Lax",
        secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
    )


# --- plays ---------------------------------------------------------------------------------


def listen_plays_left(*, release: Release, listener: Listener) -> int:
    """Full plays ``listener`` has left on ``release`` (a read; counts nothing)."""
    used = (
        PlayCount.objects.filter(release=release, listener_key=listener.key)
        .values_list("plays", flat=True)
        .first()
    )
    return max(0, release.preview_full_plays - (used or 0))


def listen_play_claim(*, release: Release, listener: Listener) -> tuple[bool, int]:
    """Use one of ``listener``'s full plays of ``release``: ``(granted, plays left)``.

    Race-free without a read-modify-write: the row is created if missing (INSERT … ON
    CONFLICT DO NOTHING), then ``UPDATE … SET plays = plays + 1 WHERE plays < N``. The
    database evaluates the condition and writes under the row's lock (PostgreSQL
    re-checks the WHERE on the latest row version after waiting for a concurrent
    writer; SQLite writes one statement at a time), so N concurrent claims with one play
    left grant exactly one. The read of what is left happens in the same transaction,
    after our own write.
    """
    limit = release.preview_full_plays
    PlayCount.objects.bulk_create(
        [PlayCount(release=release, listener_key=listener.key)], ignore_conflicts=True
    )
    rows = PlayCount.objects.filter(release=release, listener_key=listener.key)
    with transaction.atomic():
        granted = rows.filter(plays__lt=limit).update(
            plays=F("plays") + 1, updated_at=timezone.now()
        )
        used = rows.values_list("plays", flat=True).get()
    return bool(granted), max(0, limit - used)


# --- what a visitor hears --------------------------------------------------------------------


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
    payload: dict[str, Any] = {"t": track.pk, "f": key, "m": mode}
    if preview_digest:
        payload["p"] = preview_digest
    token = token_make(purpose=STREAM_PURPOSE, payload=payload, ttl_seconds=_stream_ttl())
    return reverse("storefront:stream", kwargs={"token": token})


def _sources(*, track: Track, mode: str, preview_digest: str | None) -> list[dict[str, str]]:
    """Playable sources of ``track`` in ``mode``, Opus first (smaller, where supported),
    then the universal stream; empty when nothing is ready yet."""
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
    return [
        {
            "src": stream_url(track=track, key=key, mode=mode, preview_digest=preview_digest),
            "type": _source_type(track=track, key=key),
        }
        for key in usable
    ]


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
    return {
        "id": track.pk,
        "position": track.position,
        "title": track.title,
        "duration": track.duration_s,
        "peaks": _peaks(track.peaks),
        "sources": sources,
        "mode": mode,
        "clip_seconds": track.release.preview_clip_seconds if mode == CLIP else None,
        "claim": claim_url,
        "pending": not sources and not claim_url,
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
    tracks = []
    for track in listen_tracks(release=release):
        claim = None
        if limited and mode == FULL:
            claim = reverse(
                "storefront:listen_play", kwargs={"release_id": release.pk, "track_id": track.pk}
            )
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


# --- the stream endpoint ------------------------------------------------------------------


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


# --- free downloads -------------------------------------------------------------------------


def free_download_file(*, track: Track) -> tuple[Rendition, str, str]:
    """The best ready download of a free track of a public release:
    ``(rendition, content type, "NN - Title.ext")``; raise StreamUnavailable otherwise.

    mp3-320 first (plays everywhere), else the first ready download format in the
    table's order, else the lossy master as uploaded.
    """
    release = track.release
    if not track.is_free or not release.is_public:
        raise StreamUnavailable("not a free track")
    ready = {
        r.format: r for r in track.renditions.filter(status=ProcessingStatus.READY).exclude(file="")
    }
    order = [fmt.key for fmt in DOWNLOAD_FORMATS] + [ORIGINAL]
    key = next((k for k in order if k in ready), None)
    if key is None:
        raise StreamUnavailable("no download ready")
    if key == ORIGINAL:
        _, extension, content_type = original_kind(track)
    else:
        extension, content_type = FORMATS[key].extension, FORMATS[key].mime
    return ready[key], content_type, f"{track.position:02d} - {track.title}{extension}"


def track_play_record(*, track: Track) -> None:
    """Count one play of ``track`` today (for the band's statistics)."""
    from disquaire.storefront.models import TrackPlayDay

    day_count_add(TrackPlayDay, field="plays", track=track)
