"""Feeds, podcast, sitemap and robots.txt: valid XML listing public things only."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from disquaire.catalog.models import Release
from tests.factories import ArtistFactory, ReleaseFactory, TrackFactory
from tests.storefront.factories import NewsPostFactory, RenditionFactory, TagFactory

pytestmark = pytest.mark.django_db


def _xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 (our own server's output)


ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_artist_atom_feed_has_releases_and_news_but_no_hidden_release(client: Client) -> None:
    artist = ArtistFactory()
    ReleaseFactory(artist=artist, title="Public One")
    ReleaseFactory(artist=artist, title="Draft One", visibility=Release.Visibility.DRAFT)
    NewsPostFactory(artist=artist, title="Big news")
    NewsPostFactory(
        artist=artist, title="Future news", published_at=timezone.now() + dt.timedelta(days=1)
    )
    response = client.get(reverse("storefront:artist_feed", kwargs={"artist": artist.slug}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = _xml(response.content)
    assert root.tag == f"{ATOM}feed"
    titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    assert "New release: Public One" in titles
    assert "Big news" in titles
    assert not any("Draft One" in (t or "") or "Future" in (t or "") for t in titles)
    ids = [e.findtext(f"{ATOM}id") for e in root.iter(f"{ATOM}entry")]
    assert len(ids) == len(set(ids))


def test_instance_feed_lists_public_releases_of_every_artist(client: Client) -> None:
    ReleaseFactory(title="From A")
    ReleaseFactory(title="From B")
    ReleaseFactory(title="Unlisted C", visibility=Release.Visibility.UNLISTED)
    root = _xml(client.get(reverse("storefront:feed")).content)
    titles = " ".join(e.findtext(f"{ATOM}title") or "" for e in root.iter(f"{ATOM}entry"))
    assert "From A" in titles and "From B" in titles and "Unlisted C" not in titles


def test_feeds_are_discoverable_from_the_pages(client: Client) -> None:
    release = ReleaseFactory()
    TrackFactory(release=release, position=1, is_free=True)
    directory = client.get("/artists/").content.decode()
    assert 'type="application/atom+xml"' in directory and 'href="/feed.atom"' in directory
    artist = client.get(release.artist.get_absolute_url()).content.decode()
    assert '<link rel="alternate" type="application/rss+xml"' in artist
    assert f'<a href="/{release.artist.slug}/podcast.rss">Podcast of free tracks</a>' in artist


def test_no_podcast_link_while_the_artist_has_no_free_track(client: Client) -> None:
    release = ReleaseFactory()
    TrackFactory(release=release, position=1, is_free=False)
    # A free track of a release not yet out is no episode either.
    draft = ReleaseFactory(artist=release.artist, visibility=Release.Visibility.DRAFT)
    TrackFactory(release=draft, position=1, is_free=True)
    for url in (release.artist.get_absolute_url(), release.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "podcast.rss" not in html
        assert "Podcast of free tracks" not in html


def test_podcast_has_enclosures_for_free_tracks_only(client: Client) -> None:
    release = ReleaseFactory()
    free = TrackFactory(release=release, position=1, title="Gift", is_free=True)
    TrackFactory(release=release, position=2, title="Paid", is_free=False)
    RenditionFactory(track=free, format="mp3-320", bytes=4321)
    RenditionFactory(track=free, format="flac", bytes=99999)
    hidden = ReleaseFactory(artist=release.artist, visibility=Release.Visibility.DRAFT)
    TrackFactory(release=hidden, position=1, title="Draft gift", is_free=True)

    url = reverse("storefront:artist_podcast", kwargs={"artist": release.artist.slug})
    response = client.get(url)
    assert response.status_code == 200
    root = _xml(response.content)
    items = root.findall("./channel/item")
    assert [i.findtext("title") for i in items] == [f"Gift ({release.title})"]
    (enclosure,) = items[0].findall("enclosure")
    assert enclosure.get("type") == "audio/mpeg"
    assert enclosure.get("length") == "4321"
    assert (enclosure.get("url") or "").startswith("http://testserver/")


def test_sitemap_lists_public_releases_only(client: Client) -> None:
    public = ReleaseFactory(slug="out-now")
    public.tags.add(TagFactory(slug="folk"))
    ReleaseFactory(slug="secret", visibility=Release.Visibility.UNLISTED)
    ReleaseFactory(slug="draft", visibility=Release.Visibility.DRAFT)
    response = client.get(reverse("storefront:sitemap"))
    assert response.status_code == 200
    root = _xml(response.content)
    locs = [e.text or "" for e in root.iter(f"{SITEMAP}loc")]
    assert f"http://testserver{public.get_absolute_url()}" in locs
    assert f"http://testserver{public.artist.get_absolute_url()}" in locs
    assert "http://testserver/tags/folk/" in locs
    assert not any("secret" in loc or "draft" in loc for loc in locs)


def test_robots_allows_all_and_points_to_the_sitemap(client: Client) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    text = response.content.decode()
    assert "User-agent: *" in text and "Allow: /" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text
