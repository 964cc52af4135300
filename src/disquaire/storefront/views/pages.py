"""The band's public pages: instance home, artist, release, track, tag; their theme,
cover variants, the language switch and robots.txt.

Views stay thin: selectors fetch, templates show, ``cache.cached_page`` keeps the result.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from disquaire.catalog.theme import artist_theme_version
from disquaire.consignment.selectors import where_to_buy_artist, where_to_buy_release
from disquaire.storefront import jsonld, selectors
from disquaire.storefront.cache import (
    GLOBAL,
    artist_scope,
    cached_page,
    page_lookup,
    private_headers,
    public_headers,
)
from disquaire.storefront.images import ALLOWED_WIDTHS, release_cover_prefix, variant_response
from disquaire.storefront.theme import artist_theme_css

ARTIST_IMAGE_KINDS = ("header", "photo")


def _artist_context(artist: Any) -> dict[str, Any]:
    return {
        "artist": artist,
        "theme_css": reverse("storefront:artist_theme", kwargs={"artist": artist.slug})
        + f"?v={artist_theme_version(artist=artist)}",
        "feed_url": reverse("storefront:artist_feed", kwargs={"artist": artist.slug}),
        # No link to a podcast without an episode.
        "podcast_url": reverse("storefront:artist_podcast", kwargs={"artist": artist.slug})
        if selectors.artist_has_free_tracks(artist=artist)
        else None,
    }


def _canonical(request: HttpRequest) -> str:
    return jsonld.absolute(request.path)


def _summary(text: str) -> str:
    return Truncator(" ".join(text.split())).chars(200)


def _artist_og_image(artist: Any) -> str | None:
    kind = "header" if artist.header_image else "photo" if artist.photo else None
    if kind is None:
        return None
    return jsonld.absolute(
        reverse(
            "storefront:artist_image", kwargs={"artist": artist.slug, "kind": kind, "width": 1200}
        )
    )


def _directory(request: HttpRequest) -> HttpResponse:
    data = selectors.home_page()
    return render(
        request,
        "storefront/home.html",
        {
            "page": data,
            "canonical": _canonical(request),
            "feed_url": reverse("storefront:feed"),
            "title": _("Latest releases"),
        },
    )


def _artist_render(request: HttpRequest, slug: str) -> HttpResponse:
    data = selectors.artist_page(slug=slug)
    shops = where_to_buy_artist(artist=data.artist)
    ld = [jsonld.music_group(data.artist, data.links)]
    ld += [jsonld.music_event(c, data.artist) for c in data.upcoming]
    ld += [jsonld.record_store(shop) for shop in shops]
    return render(
        request,
        "storefront/artist.html",
        {
            **_artist_context(data.artist),
            "page": data,
            "where_to_buy": shops,
            # The same page at / on a one-band site: its one address is the artist's.
            "canonical": jsonld.absolute(data.artist.get_absolute_url()),
            "ld": ld,
            "title": data.artist.name,
            "description": _summary(data.artist.bio),
            "og_type": "profile",
            "og_image": _artist_og_image(data.artist),
        },
    )


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The band's page on a one-band site (selectors.home_artist), else the directory.

    Cached in the instance-wide scope: every edit of any artist bumps it, so the page
    changes with the artist's and when a second artist publishes."""

    def page() -> HttpResponse:
        solo = selectors.home_artist()
        if solo is not None:
            return _artist_render(request, solo.slug)
        return _directory(request)

    return cached_page(request, GLOBAL, page)


@require_safe
def artists(request: HttpRequest) -> HttpResponse:
    """The directory of artists and their latest releases, whatever the root shows."""
    return cached_page(request, GLOBAL, lambda: _directory(request))


@require_safe
def artist(request: HttpRequest, artist: str) -> HttpResponse:
    found = selectors.artist_get(slug=artist)
    return cached_page(request, artist_scope(found.pk), lambda: _artist_render(request, artist))


def _preview_token(request: HttpRequest) -> str | None:
    return request.GET.get("preview") or None


@require_safe
def release(request: HttpRequest, artist: str, release: str) -> HttpResponse:
    token = _preview_token(request)

    def page() -> HttpResponse:
        data = selectors.release_page(artist_slug=artist, release_slug=release, preview_token=token)
        shops = where_to_buy_release(release=data.release)
        return render(
            request,
            "storefront/release.html",
            {
                **_artist_context(data.release.artist),
                "page": data,
                "release": data.release,
                "preview_token": data.release.preview_token if data.preview else None,
                "canonical": jsonld.absolute(data.release.get_absolute_url()),
                "ld": [jsonld.music_album(data.release, data.tracks, stores=shops)],
                "where_to_buy": shops,
                "title": _("%(title)s, by %(artist)s")
                % {"title": data.release.title, "artist": data.release.artist.name},
                "description": _summary(data.release.description),
                "og_type": "music.album",
                "og_image": jsonld.cover_url(data.release),
            },
        )

    if token:
        # A preview is for the band and whoever they sent the link to: never shared caches.
        return private_headers(page())
    hit = page_lookup(request)
    if hit is not None:
        return hit
    found = selectors.release_visible(artist_slug=artist, release_slug=release, preview_token=None)
    return cached_page(request, artist_scope(found.artist_id), page)


@require_safe
def track(
    request: HttpRequest, artist: str, release: str, position: int, track: str
) -> HttpResponse:
    token = _preview_token(request)

    def page() -> HttpResponse:
        data = selectors.track_page(
            artist_slug=artist,
            release_slug=release,
            position=position,
            track_slug=track,
            preview_token=token,
        )
        return render(
            request,
            "storefront/track.html",
            {
                **_artist_context(data.release.artist),
                "page": data,
                "release": data.release,
                "track": data.track,
                "preview_token": data.release.preview_token if data.preview else None,
                "canonical": jsonld.absolute(jsonld.track_url(data.track, data.release)),
                "ld": [jsonld.music_recording(data.track, data.release)],
                "title": _("%(track)s, from %(title)s by %(artist)s")
                % {
                    "track": data.track.title,
                    "title": data.release.title,
                    "artist": data.release.artist.name,
                },
                "description": _summary(data.track.lyrics or data.release.description),
                "og_type": "music.song",
                "og_image": jsonld.cover_url(data.release),
            },
        )

    if token:
        return private_headers(page())
    found = selectors.release_visible(artist_slug=artist, release_slug=release, preview_token=None)
    return cached_page(request, artist_scope(found.artist_id), page)


@require_safe
def tag(request: HttpRequest, slug: str) -> HttpResponse:
    def page() -> HttpResponse:
        data = selectors.tag_page(slug=slug)
        return render(
            request,
            "storefront/tag.html",
            {
                "page": data,
                "canonical": _canonical(request),
                "feed_url": reverse("storefront:feed"),
                "title": _("Tagged “%(tag)s”") % {"tag": data.tag.name},
            },
        )

    return cached_page(request, GLOBAL, page)


@require_safe
def artist_theme(request: HttpRequest, artist: str) -> HttpResponse:
    found = selectors.artist_get(slug=artist)
    response = HttpResponse(artist_theme_css(artist=found), content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
def cover(request: HttpRequest, release_id: int, width: int) -> HttpResponse:
    if width not in ALLOWED_WIDTHS:
        raise Http404("width not offered")
    found = selectors.release_for_cover(
        release_id=release_id, preview_token=_preview_token(request)
    )
    return variant_response(
        source=found.cover,
        prefix=release_cover_prefix(found.pk),
        width=width,
        public=found.is_public,
    )


@require_safe
def artist_image(request: HttpRequest, artist: str, kind: str, width: int) -> HttpResponse:
    if width not in ALLOWED_WIDTHS or kind not in ARTIST_IMAGE_KINDS:
        raise Http404("variant not offered")
    found = selectors.artist_get(slug=artist)
    source = found.header_image if kind == "header" else found.photo
    if not source:
        raise Http404("no image")
    return variant_response(
        source=source, prefix=f"artists/derived/{found.pk}-{kind}", width=width, public=True
    )


@require_safe
def language_switch(request: HttpRequest, lang: str) -> HttpResponse:
    """Sets the language cookie and goes back: a plain link, so pages need no CSRF token."""
    if lang not in dict(settings.LANGUAGES):
        raise Http404("no such language")
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        lang,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return private_headers(response)


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    sitemap = jsonld.absolute(reverse("storefront:sitemap"))
    response = HttpResponse(
        f"User-agent: *\nAllow: /\n\nSitemap: {sitemap}\n", content_type="text/plain"
    )
    return public_headers(response, max_age=3600)
