"""Embeds: the iframe widget of a release or a track, its player data, and oEmbed.

``/embed/release/<id>/`` and ``/embed/track/<id>/`` (``?size=large|compact``) are small
pages any site may frame (``core.csp.frame_anywhere``). They reuse the page player
(static/disquaire/js/player.js) and its per-visitor JSON, with one difference for
releases heard with a few full plays ("limited"): inside another site's page our
``dq_listener`` cookie is a third-party cookie, which browsers drop (SameSite=Lax, and
third-party cookie blocking), so every load of the widget would look like a new listener
with all its plays. The widget therefore asks ``/embed/api/listen/<id>/``, which answers
clips for such releases (and delegates everything else to ``storefront:listen_data``,
same rules, same signed stream URLs). See docs/storefront.md, "Embeds".

``/oembed?url=<release or track page>&format=json`` describes the widget for sites that
turn pasted links into players.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_safe

from disquaire.catalog.models import PreviewPolicy, Release, Track
from disquaire.catalog.theme import artist_theme_version
from disquaire.core.csp import frame_anywhere
from disquaire.storefront import jsonld, listening, selectors
from disquaire.storefront.cache import (
    PAGE_TIMEOUT,
    artist_scope,
    generation,
    private_headers,
    public_headers,
)
from disquaire.storefront.templatetags.storefront import cover_src
from disquaire.storefront.views import listen

LARGE = "large"
COMPACT = "compact"
SIZES = (LARGE, COMPACT)

WIDTH = 700
"""The widget's natural width; it is fluid down to 350 px (and works a little below)."""
COMPACT_HEIGHT = 80
LARGE_HEIGHT = 304
"""Cover, titles, play button, waveform and the buy row, without a tracklist."""
ROW_HEIGHT = 45
VISIBLE_ROWS = 6
"""Tracklist rows shown without scrolling inside the widget."""
THUMB_WIDTHS = (300, 600, 1200)


def embed_size(value: str | None) -> str:
    return value if value in SIZES else LARGE


def embed_height(*, size: str, tracks: int) -> int:
    """The iframe height that shows the widget whole (the tracklist scrolls past 6)."""
    if size == COMPACT:
        return COMPACT_HEIGHT
    rows = min(tracks, VISIBLE_ROWS) if tracks > 1 else 0
    return LARGE_HEIGHT + rows * ROW_HEIGHT


def embed_path(*, release: Release, track: Track | None = None, size: str = LARGE) -> str:
    """The widget's address (path only, with ``?size=`` for the compact one)."""
    if track is not None:
        path = reverse("storefront:embed_track", kwargs={"track_id": track.pk})
    else:
        path = reverse("storefront:embed_release", kwargs={"release_id": release.pk})
    return path + (f"?size={size}" if size != LARGE else "")


def embed_title(*, release: Release, track: Track | None = None) -> str:
    """The iframe's accessible name."""
    return _("%(title)s by %(artist)s — player") % {
        "title": track.title if track is not None else release.title,
        "artist": release.artist.name,
    }


def embed_code(
    *,
    release: Release,
    track: Track | None = None,
    size: str = LARGE,
    tracks: int = 1,
    width: int = WIDTH,
    height: int | None = None,
) -> str:
    """The ``<iframe>`` another site pastes (absolute address, fluid width)."""
    if height is None:
        height = embed_height(size=size, tracks=tracks)
    # Plain text (html.escape, not format_html): templates show it escaped, as code.
    src = jsonld.absolute(embed_path(release=release, track=track, size=size))
    return (
        f'<iframe src="{escape(src)}" '
        f'width="{width}" height="{height}" '
        f'title="{escape(embed_title(release=release, track=track))}" loading="lazy" '
        f'style="border:0;width:100%;max-width:{width}px"></iframe>'
    )


# --- the widget ------------------------------------------------------------------------------


def _visible_release(*, release: Release | None, preview: str | None) -> tuple[Release, bool]:
    if release is None:
        raise Http404("no such release")
    try:
        is_preview = listening.listen_gate(release=release, preview=preview)
    except listening.ListenRefused:
        raise Http404("no such release") from None
    return release, is_preview


def _embed_page(
    request: HttpRequest,
    *,
    release: Release,
    preview: bool,
    render_page: Callable[[], HttpResponse],
) -> HttpResponse:
    """Like ``cache.cached_page``, keyed by the size too (it is in the query string)."""
    if preview:
        return private_headers(render_page())
    scope = artist_scope(release.artist_id)
    key = ":".join(
        (
            "storefront:embed",
            scope,
            str(generation(scope)),
            get_language() or "",
            request.path,
            embed_size(request.GET.get("size")),
        )
    )
    hit: dict[str, Any] | None = cache.get(key)
    if hit is not None:
        response = HttpResponse(hit["content"], content_type=hit["content_type"])
        response["X-Page-Cache"] = "hit"
        return public_headers(response)
    response = render_page()
    if response.status_code == 200:
        cache.set(
            key,
            {"content": response.content, "content_type": response["Content-Type"]},
            PAGE_TIMEOUT,
        )
    response["X-Page-Cache"] = "miss"
    return public_headers(response)


def _widget(
    request: HttpRequest, *, release: Release, track: Track | None, preview: bool
) -> HttpResponse:
    size = embed_size(request.GET.get("size"))
    token = release.preview_token if preview else None

    def render_page() -> HttpResponse:
        tracks = list(Track.objects.filter(release=release).order_by("position"))
        for item in tracks:
            item.release = release
        page_url = (
            jsonld.track_url(track, release) if track is not None else release.get_absolute_url()
        )
        suffix = f"?preview={token}" if token else ""
        artist = release.artist
        return render(
            request,
            "storefront/embed/widget.html",
            {
                "release": release,
                "artist": artist,
                "track": track,
                "tracks": tracks if track is None else [track],
                "size": size,
                "preview_token": token,
                "page_url": page_url + suffix,
                "buy_url": release.get_absolute_url() + suffix + "#buy-title",
                "artist_url": artist.get_absolute_url(),
                "api_url": reverse(
                    "storefront:embed_listen_data", kwargs={"release_id": release.pk}
                ),
                "theme_css": reverse("storefront:artist_theme", kwargs={"artist": artist.slug})
                + f"?v={artist_theme_version(artist=artist)}",
                "title": embed_title(release=release, track=track),
            },
        )

    return _embed_page(request, release=release, preview=preview, render_page=render_page)


@frame_anywhere
@require_safe
def embed_release(request: HttpRequest, release_id: int) -> HttpResponseBase:
    """``/embed/release/<id>/``: the widget of a whole release."""
    found = Release.objects.select_related("artist").filter(pk=release_id).first()
    release, preview = _visible_release(release=found, preview=request.GET.get("preview"))
    return _widget(request, release=release, track=None, preview=preview)


@frame_anywhere
@require_safe
def embed_track(request: HttpRequest, track_id: int) -> HttpResponseBase:
    """``/embed/track/<id>/``: the widget of one track."""
    track = Track.objects.select_related("release__artist").filter(pk=track_id).first()
    release, preview = _visible_release(
        release=track.release if track else None, preview=request.GET.get("preview")
    )
    assert track is not None
    return _widget(request, release=release, track=track, preview=preview)


@require_GET
def embed_listen_data(request: HttpRequest, release_id: int) -> HttpResponseBase:
    """``/embed/api/listen/<id>/``: the widget's player data.

    ``storefront:listen_data`` itself, except for a "limited" release heard by an
    ordinary visitor: clips only, and nothing counted, since the device cookie that
    counts the plays does not survive in another site's page.
    """
    release = get_object_or_404(Release.objects.select_related("artist"), pk=release_id)
    _, preview = _visible_release(release=release, preview=request.GET.get("preview"))
    if (
        preview
        or release.preview_policy != PreviewPolicy.LIMITED
        or listening.listener_has_full_access(release=release, request=request)
    ):
        return listen.listen_data(request, release_id)
    tracks = [
        listening.listen_track_entry(track=track, mode=listening.CLIP, preview_digest=None)
        for track in listening.listen_tracks(release=release)
    ]
    response = JsonResponse(
        {
            "release": release.pk,
            "policy": release.preview_policy,
            "plays_left": None,
            "full_plays": None,
            "clip_seconds": release.preview_clip_seconds,
            "buy_url": release.get_absolute_url() + "#buy-title",
            "tracks": tracks,
        }
    )
    response["Cache-Control"] = "private, no-store"
    patch_vary_headers(response, ["Cookie"])
    return response


# --- oEmbed ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmbedTarget:
    release: Release
    track: Track | None
    tracks: int


def _hosts(request: HttpRequest) -> set[str]:
    return {urlsplit(settings.SITE_URL).netloc, request.get_host()}


def oembed_target(*, url: str, hosts: set[str]) -> EmbedTarget:
    """The public release or track that ``url`` (its page's address) shows; Http404 for
    anything else (another site, another page, a draft, an unlisted release)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc not in hosts:
        raise Http404("not a page of this site")
    try:
        match = resolve(parts.path)
    except Resolver404:
        raise Http404("no such page") from None
    if match.namespace != "storefront" or match.url_name not in ("release", "track"):
        raise Http404("not a release or a track")
    release = selectors.release_visible(
        artist_slug=match.kwargs["artist"], release_slug=match.kwargs["release"], preview_token=None
    )
    count = Track.objects.filter(release=release).count()
    if match.url_name == "release":
        return EmbedTarget(release=release, track=None, tracks=count)
    track = Track.objects.filter(
        release=release, position=match.kwargs["position"], slug=match.kwargs["track"]
    ).first()
    if track is None:
        raise Http404("no such track")
    track.release = release
    return EmbedTarget(release=release, track=track, tracks=1)


def _positive(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


def _thumbnail(release: Release, maxwidth: int | None) -> dict[str, Any]:
    if not release.cover:
        return {}
    fitting = [w for w in THUMB_WIDTHS if maxwidth is None or w <= maxwidth]
    width = max(fitting) if fitting else THUMB_WIDTHS[0]
    try:
        ratio = release.cover.height / release.cover.width
    except (OSError, ValueError, ZeroDivisionError):
        ratio = 1.0
    return {
        "thumbnail_url": jsonld.absolute(cover_src(release, width)),
        "thumbnail_width": width,
        "thumbnail_height": round(width * ratio),
    }


def oembed_data(
    *,
    target: EmbedTarget,
    size: str = LARGE,
    maxwidth: int | None = None,
    maxheight: int | None = None,
) -> dict[str, Any]:
    """The oEmbed answer (type "rich") for ``target``, within maxwidth × maxheight:
    narrower when asked, and the compact widget when the large one is too tall."""
    width = min(WIDTH, maxwidth) if maxwidth else WIDTH
    height = embed_height(size=size, tracks=target.tracks)
    if maxheight and height > maxheight:
        size = COMPACT
        height = min(COMPACT_HEIGHT, maxheight)
    release, track = target.release, target.track
    return {
        "type": "rich",
        "version": "1.0",
        "title": track.title if track is not None else release.title,
        "author_name": release.artist.name,
        "author_url": jsonld.absolute(release.artist.get_absolute_url()),
        "provider_name": urlsplit(settings.SITE_URL).netloc,
        "provider_url": settings.SITE_URL + "/",
        "cache_age": 3600,
        "html": embed_code(release=release, track=track, size=size, width=width, height=height),
        "width": width,
        "height": height,
        **_thumbnail(release, maxwidth),
    }


def oembed_url(page_url: str) -> str:
    """The discovery address of a page's oEmbed description."""
    query = urlencode({"url": page_url, "format": "json"})
    return jsonld.absolute(reverse("storefront:oembed")) + "?" + query


@require_safe
def oembed(request: HttpRequest) -> HttpResponse:
    """``/oembed?url=…&format=json[&maxwidth=&maxheight=&size=]``."""
    if request.GET.get("format", "json") != "json":
        return HttpResponse(_("Only the JSON format is offered."), status=501)
    target = oembed_target(url=request.GET.get("url", ""), hosts=_hosts(request))
    data = oembed_data(
        target=target,
        size=embed_size(request.GET.get("size")),
        maxwidth=_positive(request.GET.get("maxwidth")),
        maxheight=_positive(request.GET.get("maxheight")),
    )
    return public_headers(JsonResponse(data))
