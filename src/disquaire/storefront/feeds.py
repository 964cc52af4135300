"""Atom feeds (instance, per artist) and the per-artist podcast (RSS with enclosures)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import feedgenerator
from django.utils.translation import gettext as _

from disquaire.audio.formats import FORMATS
from disquaire.catalog.models import Artist, NewsPost, Release, Track
from disquaire.storefront import selectors
from disquaire.storefront.cache import public_headers
from disquaire.storefront.jsonld import absolute, track_url

FEED_MAX_AGE = 300
# What podcast apps play best first; any ready download format after these.
PODCAST_FORMATS = ("mp3-320", "mp3-v0", "aac-256", "opus-160", "vorbis-q6")


class _PublicFeed(Feed):
    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return public_headers(super().__call__(request, *args, **kwargs), max_age=FEED_MAX_AGE)


class InstanceFeed(_PublicFeed):
    """The latest public releases of every artist of the instance."""

    feed_type = feedgenerator.Atom1Feed

    def title(self) -> str:
        return _("Latest releases")

    def link(self) -> str:
        return absolute(reverse("storefront:home"))

    def feed_url(self) -> str:
        return absolute(reverse("storefront:feed"))

    def items(self) -> list[Release]:
        return list(selectors.releases_public()[: selectors.FEED_ITEMS])

    def item_title(self, item: Release) -> str:
        return f"{item.artist.name} — {item.title}"

    def item_description(self, item: Release) -> str:
        return item.description

    def item_link(self, item: Release) -> str:
        return absolute(item.get_absolute_url())

    def item_pubdate(self, item: Release) -> datetime:
        return selectors.release_published_at(release=item)

    def item_updateddate(self, item: Release) -> datetime:
        return item.updated_at

    def item_author_name(self, item: Release) -> str:
        return item.artist.name


class ArtistFeed(_PublicFeed):
    """An artist's releases and news, newest first."""

    feed_type = feedgenerator.Atom1Feed

    def get_object(self, request: HttpRequest, artist: str) -> Artist:
        return selectors.artist_get(slug=artist)

    def title(self, obj: Artist) -> str:
        return obj.name

    def subtitle(self, obj: Artist) -> str:
        return _("Releases and news from %(name)s") % {"name": obj.name}

    def link(self, obj: Artist) -> str:
        return absolute(obj.get_absolute_url())

    def feed_url(self, obj: Artist) -> str:
        return absolute(reverse("storefront:artist_feed", kwargs={"artist": obj.slug}))

    def author_name(self, obj: Artist) -> str:
        return obj.name

    def items(self, obj: Artist) -> list[Release | NewsPost]:
        return selectors.feed_items_for_artist(artist=obj)

    def item_title(self, item: Release | NewsPost) -> str:
        if isinstance(item, NewsPost):
            return item.title
        return _("New release: %(title)s") % {"title": item.title}

    def item_description(self, item: Release | NewsPost) -> str:
        return item.body if isinstance(item, NewsPost) else item.description

    def item_link(self, item: Release | NewsPost) -> str:
        if isinstance(item, NewsPost):
            return absolute(item.artist.get_absolute_url() + f"#news-{item.slug}")
        return absolute(item.get_absolute_url())

    def item_pubdate(self, item: Release | NewsPost) -> datetime:
        return selectors.feed_item_date(item)

    def item_updateddate(self, item: Release | NewsPost) -> datetime:
        return item.updated_at


class _PodcastFeedType(feedgenerator.Rss201rev2Feed):
    content_type = "application/rss+xml; charset=utf-8"


def free_download_url(track: Track) -> str:
    """Where a free track downloads from; the track page until that route exists."""
    try:
        return reverse("storefront:free_download", kwargs={"track_id": track.pk})
    except NoReverseMatch:
        return track_url(track, track.release)


def podcast_enclosure(track: Track) -> feedgenerator.Enclosure:
    ready = {r.format: r for r in track.renditions.all()}
    preferred = [k for k in PODCAST_FORMATS if k in ready]
    others = [k for k in ready if k in FORMATS and FORMATS[k].download and not FORMATS[k].lossless]
    chosen = ready[(preferred or others)[0]] if (preferred or others) else None
    mime = FORMATS[chosen.format].mime if chosen else "audio/mpeg"
    length = str(chosen.bytes or 0) if chosen else "0"
    return feedgenerator.Enclosure(absolute(free_download_url(track)), length, mime)


class ArtistPodcast(_PublicFeed):
    """RSS 2.0 with one ``<enclosure>`` per free track, for podcast apps."""

    feed_type = _PodcastFeedType

    def get_object(self, request: HttpRequest, artist: str) -> Artist:
        return selectors.artist_get(slug=artist)

    def title(self, obj: Artist) -> str:
        return _("%(name)s — free tracks") % {"name": obj.name}

    def description(self, obj: Artist) -> str:
        return _("Free tracks from %(name)s.") % {"name": obj.name}

    def link(self, obj: Artist) -> str:
        return absolute(obj.get_absolute_url())

    def feed_url(self, obj: Artist) -> str:
        return absolute(reverse("storefront:artist_podcast", kwargs={"artist": obj.slug}))

    def items(self, obj: Artist) -> list[Track]:
        return selectors.podcast_tracks(artist=obj)

    def item_title(self, item: Track) -> str:
        return f"{item.title} ({item.release.title})"

    def item_description(self, item: Track) -> str:
        return item.release.description

    def item_link(self, item: Track) -> str:
        return absolute(track_url(item, item.release))

    def item_guid(self, item: Track) -> str:
        return absolute(track_url(item, item.release))

    def item_pubdate(self, item: Track) -> datetime:
        return selectors.release_published_at(release=item.release)

    def item_enclosures(self, item: Track) -> list[feedgenerator.Enclosure]:
        return [podcast_enclosure(item)]
