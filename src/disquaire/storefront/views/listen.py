"""Listening endpoints: streams, per-visitor player data, play claims, free downloads.

Thin: the decisions are in ``storefront.listening``. Every answer that depends on the
visitor is ``Cache-Control: private, no-store``, so the cached pages stay identical for
everyone and no shared cache keeps a signed URL or a play count.
"""

from __future__ import annotations

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from disquaire.catalog.models import PreviewPolicy, Release, Track
from disquaire.core.fileserve import file_response
from disquaire.core.http import request_from_this_site
from disquaire.core.signing import TokenExpired, TokenInvalid
from disquaire.storefront.listening import access as listen_access
from disquaire.storefront.listening import downloads as listen_downloads
from disquaire.storefront.listening import plays as listen_plays
from disquaire.storefront.listening import streams as listen_streams

STREAM_MAX_AGE = 3600
"""Browser cache of a stream (its URL is unique and expires anyway); private."""

FREE_MAX_AGE = 3600


def _no_store(response: HttpResponseBase) -> HttpResponseBase:
    response["Cache-Control"] = "private, no-store"
    patch_vary_headers(response, ["Cookie"])
    return response


def _listener(
    request: HttpRequest, release: Release, *, preview: bool
) -> listen_access.Listener | None:
    # Only a limited release counts plays (never for a preview-link visitor), so only it
    # may give the visitor a cookie.
    if preview or release.preview_policy != PreviewPolicy.LIMITED:
        return None
    return listen_access.listener_identify(request)


def _gate(request: HttpRequest, release: Release) -> bool:
    try:
        return listen_access.listen_gate(release=release, preview=request.GET.get("preview"))
    except listen_access.ListenRefused:
        raise Http404("no such release") from None


@require_http_methods(["GET", "HEAD"])
def stream(request: HttpRequest, token: str) -> HttpResponseBase:
    """``/stream/<token>``: one streaming file (or clip), with HTTP Range."""
    try:
        found = listen_streams.stream_resolve(token=token)
    except TokenExpired:
        return _no_store(HttpResponse(_("This link has expired."), status=410))
    except (TokenInvalid, listen_streams.StreamRefused):
        return _no_store(HttpResponseForbidden())
    except listen_streams.StreamUnavailable:
        raise Http404("no such stream") from None
    return file_response(
        request,
        name=found.name,
        content_type=found.content_type,
        max_age=STREAM_MAX_AGE,
        etag=found.etag,
    )


@require_GET
def listen_data(request: HttpRequest, release_id: int) -> HttpResponseBase:
    """``/api/listen/<release_id>/``: the player's per-visitor data (JSON)."""
    release = get_object_or_404(Release.objects.select_related("artist"), pk=release_id)
    preview = _gate(request, release)
    listener = _listener(request, release, preview=preview)
    data = listen_streams.listen_data_build(
        release=release, request=request, preview=preview, listener=listener
    )
    response = JsonResponse(data)
    listen_access.listener_remember(response=response, request=request, listener=listener)
    return _no_store(response)


# No CSRF token: the cached pages carry none. A cross-site POST could only spend plays of
# a listener it cannot name (the cookies are SameSite=Lax, so they are not sent), and the
# Origin check refuses other sites' requests outright.
@csrf_exempt
@require_POST
def listen_play(request: HttpRequest, release_id: int, track_id: int) -> HttpResponseBase:
    """``POST /api/listen/<release_id>/play/<track_id>/``: the player starts a track.

    For a "limited" release this counts a full play (or answers with the clip when none
    is left). Answers ``{"track": {...entry...}, "plays_left": int | null}``.
    """
    if not request_from_this_site(request):
        return _no_store(HttpResponseForbidden())
    release = get_object_or_404(Release.objects.select_related("artist"), pk=release_id)
    preview = _gate(request, release)
    track = get_object_or_404(Track, pk=track_id, release=release)
    listener = _listener(request, release, preview=preview)
    entry, plays_left = listen_streams.listen_play_start(
        release=release, track=track, request=request, preview=preview, listener=listener
    )
    response = JsonResponse({"track": entry, "plays_left": plays_left})
    listen_access.listener_remember(response=response, request=request, listener=listener)
    return _no_store(response)


@csrf_exempt
@require_POST
def listen_played(request: HttpRequest, track_id: int) -> HttpResponseBase:
    """``POST /api/listen/played/<track_id>/``: the player started a track (statistics)."""
    if not request_from_this_site(request):
        return _no_store(HttpResponseForbidden())
    track = get_object_or_404(Track.objects.select_related("release"), pk=track_id)
    _gate(request, track.release)
    listen_plays.track_play_record(track=track)
    return _no_store(HttpResponse(status=204))


@require_GET
def stream_public(request: HttpRequest, track_id: int) -> HttpResponseBase:
    """``/stream/public/<track_id>/``: for pages without JavaScript, whose cached HTML
    cannot hold signed URLs. Applies the policy (counting a play of a "limited"
    release) and redirects to a fresh signed URL of the universal stream."""
    track = get_object_or_404(Track.objects.select_related("release"), pk=track_id)
    release = track.release
    preview = _gate(request, release)
    listener = _listener(request, release, preview=preview)
    entry, _ = listen_streams.listen_play_start(
        release=release, track=track, request=request, preview=preview, listener=listener
    )
    sources = entry["sources"]
    if sources:
        listen_plays.track_play_record(track=track)
    if not sources:
        response: HttpResponseBase = HttpResponse(status=503)
        response["Retry-After"] = "30"
    else:
        # The last source is the universal one (MP3, or the original); Opus comes first.
        response = HttpResponseRedirect(sources[-1]["src"])
    listen_access.listener_remember(response=response, request=request, listener=listener)
    return _no_store(response)


@require_http_methods(["GET", "HEAD"])
def free_download(request: HttpRequest, track_id: int) -> HttpResponseBase:
    """``/free/<track_id>/``: a free track's best download, as an attachment."""
    track = get_object_or_404(Track.objects.select_related("release"), pk=track_id)
    try:
        rendition, content_type, filename = listen_downloads.free_download_file(track=track)
    except listen_streams.StreamUnavailable:
        raise Http404("not a free track") from None
    return file_response(
        request,
        name=rendition.file.name,
        content_type=content_type,
        download_filename=filename,
        max_age=FREE_MAX_AGE,
        etag=rendition.sha256 or None,
    )
