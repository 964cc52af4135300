"""Read-only queries of the public site.

Every selector here runs a fixed number of queries whatever the size of the catalogue
(tests/storefront/test_query_counts.py holds them to it): related rows come through
``select_related``/``prefetch_related``, never from a loop in a template.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from disquaire.audio.formats import FORMATS
from disquaire.catalog.models import (
    Artist,
    Concert,
    NewsPost,
    ProcessingStatus,
    Release,
    Rendition,
    Tag,
    Track,
)

HOME_LATEST = 12
ARTIST_NEWS = 10
ARTIST_PAST_CONCERTS = 20
RELEASE_MORE_FROM_ARTIST = 4
PODCAST_ITEMS = 100
FEED_ITEMS = 30


def public_q(prefix: str = "") -> Q:
    """Releases listed on the public site (mirrors ``Release.is_public``)."""
    now = timezone.now()
    return Q(**{f"{prefix}visibility": Release.Visibility.PUBLISHED}) | Q(
        **{
            f"{prefix}visibility": Release.Visibility.SCHEDULED,
            f"{prefix}publish_at__lte": now,
        }
    )


def _newest_first(qs: QuerySet[Release]) -> QuerySet[Release]:
    return qs.order_by(F("release_date").desc(nulls_last=True), "-created_at", "-pk")


def releases_public() -> QuerySet[Release]:
    return _newest_first(Release.objects.filter(public_q()).select_related("artist"))


@dataclass
class HomePage:
    artists: list[Artist]
    latest: list[Release]


def home_artist() -> Artist | None:
    """The artist whose page is the site's root, or None for the directory of artists.

    The one the operator chose (DISQUAIRE_HOME_ARTIST, when it exists), else the only
    artist with something published: a band's own instance opens on the band's page.
    """
    if settings.DISQUAIRE_HOME_ARTIST:
        return Artist.objects.filter(slug=settings.DISQUAIRE_HOME_ARTIST).first()
    published = Release.objects.filter(public_q()).values_list("artist_id", flat=True)
    ids = list(published.order_by("artist_id").distinct()[:2])
    if len(ids) != 1:
        return None
    return Artist.objects.filter(pk=ids[0]).first()


def artist_has_free_tracks(*, artist: Artist) -> bool:
    """Whether the artist's podcast has an episode (a free track of a public release)."""
    return (
        Track.objects.filter(is_free=True, release__artist=artist)
        .filter(public_q("release__"))
        .exists()
    )


def home_page() -> HomePage:
    artists = list(
        Artist.objects.filter(pk__in=Release.objects.filter(public_q()).values("artist_id"))
    )
    return HomePage(artists=artists, latest=list(releases_public()[:HOME_LATEST]))


@dataclass
class ArtistPage:
    artist: Artist
    releases: list[Release]
    news: list[NewsPost]
    upcoming: list[Concert]
    past: list[Concert]
    links: list[dict[str, str]] = field(default_factory=list)

    @property
    def newest(self) -> Release | None:
        return self.releases[0] if self.releases else None

    @property
    def older(self) -> list[Release]:
        return self.releases[1:]


def artist_get(*, slug: str) -> Artist:
    try:
        return Artist.objects.get(slug=slug)
    except Artist.DoesNotExist:
        raise Http404("no such artist") from None


def artist_links(*, artist: Artist) -> list[dict[str, str]]:
    """The artist's links that are safe to print as ``href`` (http and https only)."""
    links = artist.links if isinstance(artist.links, list) else []
    safe = []
    for link in links:
        if not isinstance(link, dict):
            continue
        url, label = str(link.get("url") or ""), str(link.get("label") or "")
        if url.startswith(("https://", "http://")):
            safe.append({"url": url, "label": label or url})
    return safe


def _with_artist(releases: list[Release], artist: Artist) -> list[Release]:
    # The releases belong to the artist already in hand: reuse it, no join, no query.
    for release in releases:
        release.artist = artist
    return releases


def artist_page(*, slug: str) -> ArtistPage:
    artist = artist_get(slug=slug)
    now = timezone.now()
    releases = list(_newest_first(Release.objects.filter(public_q(), artist=artist)))
    news = list(
        NewsPost.objects.filter(artist=artist, published_at__lte=now).order_by("-published_at")[
            :ARTIST_NEWS
        ]
    )
    upcoming = list(Concert.objects.filter(artist=artist, starts_at__gte=now).order_by("starts_at"))
    past = list(
        Concert.objects.filter(artist=artist, starts_at__lt=now).order_by("-starts_at")[
            :ARTIST_PAST_CONCERTS
        ]
    )
    return ArtistPage(
        artist=artist,
        releases=_with_artist(releases, artist),
        news=news,
        upcoming=upcoming,
        past=past,
        links=artist_links(artist=artist),
    )


@dataclass
class ReleasePage:
    release: Release
    tracks: list[Track]
    tags: list[Tag]
    formats: list[str]
    more: list[Release]
    preview: bool

    @property
    def duration_ms(self) -> int:
        return sum(t.duration_ms or 0 for t in self.tracks)

    @property
    def with_lyrics(self) -> list[Track]:
        return [t for t in self.tracks if t.lyrics]


def _ready_renditions() -> Prefetch[Any]:
    return Prefetch(
        "renditions",
        queryset=Rendition.objects.filter(status=ProcessingStatus.READY).only(
            "id", "track_id", "format", "bytes"
        ),
    )


def preview_token_matches(*, release: Release, token: str | None) -> bool:
    """``token`` is the release's preview token, compared in constant time (a plain ``==``
    stops at the first differing character, which a patient attacker can time)."""
    return bool(token) and hmac.compare_digest(str(token).encode(), release.preview_token.encode())


def release_visible(*, artist_slug: str, release_slug: str, preview_token: str | None) -> Release:
    """The release if the visitor may see it: public, or not a draft and the right token."""
    release = (
        Release.objects.select_related("artist")
        .filter(artist__slug=artist_slug, slug=release_slug)
        .exclude(visibility=Release.Visibility.DRAFT)
        .first()
    )
    if release is None:
        raise Http404("no such release")
    if not release.is_public and not preview_token_matches(release=release, token=preview_token):
        raise Http404("no such release")
    return release


def buyer_formats(*, tracks: list[Track]) -> list[str]:
    """Labels of the download formats every track of the release has ready."""
    if not tracks:
        return []
    common: set[str] | None = None
    for track in tracks:
        keys = {r.format for r in track.renditions.all()}
        common = keys if common is None else common & keys
    order = list(FORMATS)
    return [
        FORMATS[key].label
        for key in sorted(common or set(), key=order.index)
        if key in FORMATS and FORMATS[key].download
    ]


def release_page(*, artist_slug: str, release_slug: str, preview_token: str | None) -> ReleasePage:
    release = release_visible(
        artist_slug=artist_slug, release_slug=release_slug, preview_token=preview_token
    )
    tracks = list(
        Track.objects.filter(release=release)
        .order_by("position")
        .prefetch_related(_ready_renditions())
    )
    for track in tracks:
        track.release = release
    tags = list(release.tags.all())
    more = list(
        _newest_first(
            Release.objects.filter(public_q(), artist=release.artist).exclude(pk=release.pk)
        )[:RELEASE_MORE_FROM_ARTIST]
    )
    return ReleasePage(
        release=release,
        tracks=tracks,
        tags=tags,
        formats=buyer_formats(tracks=tracks),
        more=_with_artist(more, release.artist),
        preview=not release.is_public,
    )


@dataclass
class TrackPage:
    release: Release
    track: Track
    preview: bool


def track_page(
    *,
    artist_slug: str,
    release_slug: str,
    position: int,
    track_slug: str,
    preview_token: str | None,
) -> TrackPage:
    release = release_visible(
        artist_slug=artist_slug, release_slug=release_slug, preview_token=preview_token
    )
    track = Track.objects.filter(release=release, position=position, slug=track_slug).first()
    if track is None:
        raise Http404("no such track")
    track.release = release
    return TrackPage(release=release, track=track, preview=not release.is_public)


@dataclass
class TagPage:
    tag: Tag
    releases: list[Release]


def tag_page(*, slug: str) -> TagPage:
    tag = Tag.objects.filter(slug=slug).first()
    if tag is None:
        raise Http404("no such tag")
    return TagPage(tag=tag, releases=list(releases_public().filter(tags=tag)))


def feed_items_for_artist(*, artist: Artist) -> list[Release | NewsPost]:
    """Releases and published news of an artist, newest first, for the Atom feed."""
    releases = _with_artist(
        list(_newest_first(Release.objects.filter(public_q(), artist=artist))[:FEED_ITEMS]),
        artist,
    )
    news = list(
        NewsPost.objects.filter(artist=artist, published_at__lte=timezone.now()).order_by(
            "-published_at"
        )[:FEED_ITEMS]
    )
    for post in news:
        post.artist = artist
    items: list[Release | NewsPost] = [*releases, *news]
    items.sort(key=feed_item_date, reverse=True)
    return items[:FEED_ITEMS]


def feed_item_date(item: Release | NewsPost) -> Any:
    if isinstance(item, NewsPost):
        return item.published_at or item.created_at
    return release_published_at(release=item)


def release_published_at(*, release: Release) -> Any:
    """When a release appeared: its publish time, else its creation."""
    return release.publish_at or release.created_at


def podcast_tracks(*, artist: Artist) -> list[Track]:
    """The free tracks of the artist's public releases, newest release first."""
    tracks = list(
        Track.objects.filter(is_free=True, release__artist=artist)
        .filter(public_q("release__"))
        .select_related("release")
        .prefetch_related(_ready_renditions())
        .order_by(
            F("release__release_date").desc(nulls_last=True), "-release__created_at", "position"
        )[:PODCAST_ITEMS]
    )
    for track in tracks:
        track.release.artist = artist
    return tracks


def sitemap_artists() -> QuerySet[Artist]:
    return Artist.objects.filter(
        pk__in=Release.objects.filter(public_q()).values("artist_id")
    ).order_by("slug")


def sitemap_releases() -> QuerySet[Release]:
    return Release.objects.filter(public_q()).select_related("artist").order_by("pk")


def sitemap_tags() -> QuerySet[Tag]:
    return Tag.objects.filter(pk__in=Release.objects.filter(public_q()).values("tags")).order_by(
        "slug"
    )


def release_for_cover(*, release_id: int, preview_token: str | None) -> Release:
    release = Release.objects.filter(pk=release_id).exclude(cover="").first()
    if release is None or release.visibility == Release.Visibility.DRAFT:
        raise Http404("no cover")
    if not release.is_public and not preview_token_matches(release=release, token=preview_token):
        raise Http404("no cover")
    return release
