"""Pages run the same number of queries whatever the size of the catalogue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from disquaire.catalog.models import Artist, Release, Track
from tests.factories import ArtistFactory, ReleaseFactory, TrackFactory
from tests.storefront.factories import ConcertFactory, NewsPostFactory, RenditionFactory

pytestmark = pytest.mark.django_db


def _fill(artist: Artist, count: int) -> None:
    """``count`` public releases of two tracks each, in bulk."""
    existing = Release.objects.filter(artist=artist).count()
    releases = Release.objects.bulk_create(
        Release(
            artist=artist,
            title=f"Bulk {existing + n}",
            slug=f"bulk-{existing + n}",
            visibility=Release.Visibility.PUBLISHED,
            release_date=dt.date(2000, 1, 1) + dt.timedelta(days=n),
            cover=f"covers/bulk-{n}.jpg",
        )
        for n in range(count)
    )
    Track.objects.bulk_create(
        Track(release=r, position=p, title=f"T{p}", slug=f"t{p}", duration_ms=1000)
        for r in releases
        for p in (1, 2)
    )


def _queries(client: Client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def band() -> tuple[Artist, Release]:
    artist = ArtistFactory()
    release = ReleaseFactory(artist=artist, release_date=dt.date(2030, 1, 1))
    for position in (1, 2, 3):
        track = TrackFactory(release=release, position=position, lyrics="words")
        RenditionFactory(track=track, format="flac")
        RenditionFactory(track=track, format="mp3-320")
    ConcertFactory(artist=artist)
    NewsPostFactory(artist=artist)
    return artist, release


def test_artist_and_release_pages_cost_the_same_with_10_or_1000_releases(
    client: Client, band: tuple[Artist, Release]
) -> None:
    artist, release = band
    track_url = f"{release.get_absolute_url()}1-{release.tracks.get(position=1).slug}/"
    feeds = [f"/{artist.slug}/feed.atom", f"/{artist.slug}/podcast.rss", "/feed.atom"]
    urls = [artist.get_absolute_url(), release.get_absolute_url(), track_url, "/", *feeds]
    _fill(artist, 10)
    small = [_queries(client, url) for url in urls]
    _fill(artist, 990)
    assert Release.objects.filter(artist=artist).count() == 1001
    large = [_queries(client, url) for url in urls]
    assert small == large


def test_cached_page_costs_at_most_one_query(client: Client, band: tuple[Artist, Release]) -> None:
    _artist, release = band
    client.get(release.get_absolute_url())
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(release.get_absolute_url())
    assert response["X-Page-Cache"] == "hit"
    assert len(ctx.captured_queries) <= 1
