"""The page cache: served from memory, dropped by any edit of what the page shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from disquaire.catalog.models import Release
from tests.factories import ArtistFactory, ReleaseFactory, TrackFactory
from tests.storefront.factories import ConcertFactory, NewsPostFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_second_visit_is_served_from_the_cache(client: Client) -> None:
    release = ReleaseFactory()
    first = client.get(release.get_absolute_url())
    second = client.get(release.get_absolute_url())
    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "hit"
    assert first.content == second.content
    assert second["Cache-Control"] == "public, max-age=60"


def test_each_language_has_its_own_cached_page(client: Client) -> None:
    release = ReleaseFactory()
    client.get(release.get_absolute_url())
    french = client.get(release.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr")
    assert french["X-Page-Cache"] == "miss"
    assert "Pas encore en vente" in french.content.decode()


def test_editing_a_release_refreshes_its_pages(client: Client) -> None:
    release = ReleaseFactory(title="Old Title")
    client.get(release.get_absolute_url())
    client.get(release.artist.get_absolute_url())
    client.get("/")
    release.title = "New Title"
    release.save()
    for url in (release.get_absolute_url(), release.artist.get_absolute_url(), "/"):
        html = client.get(url).content.decode()
        assert "New Title" in html and "Old Title" not in html, url


def test_editing_a_track_refreshes_the_release_page(client: Client) -> None:
    track = TrackFactory(title="Before")
    url = track.release.get_absolute_url()
    assert "Before" in client.get(url).content.decode()
    track.title = "After"
    track.save()
    assert "After" in client.get(url).content.decode()


def test_cancelling_a_concert_refreshes_the_artist_page(client: Client) -> None:
    concert = ConcertFactory(venue="Cancelled Hall")
    ReleaseFactory(artist=concert.artist)
    url = concert.artist.get_absolute_url()
    assert "Cancelled Hall" in client.get(url).content.decode()
    concert.delete()
    assert "Cancelled Hall" not in client.get(url).content.decode()


def test_new_concert_and_news_refresh_the_artist_page(client: Client) -> None:
    artist = ArtistFactory()
    ReleaseFactory(artist=artist)
    client.get(artist.get_absolute_url())
    ConcertFactory(artist=artist, venue="La Cigale")
    NewsPostFactory(artist=artist, title="Fresh news")
    html = client.get(artist.get_absolute_url()).content.decode()
    assert "La Cigale" in html and "Fresh news" in html


def test_publishing_a_draft_puts_it_on_the_artist_page(client: Client) -> None:
    artist = ArtistFactory()
    ReleaseFactory(artist=artist)
    draft = ReleaseFactory(artist=artist, title="Surprise", visibility=Release.Visibility.DRAFT)
    assert "Surprise" not in client.get(artist.get_absolute_url()).content.decode()
    draft.visibility = Release.Visibility.PUBLISHED
    draft.save()
    assert "Surprise" in client.get(artist.get_absolute_url()).content.decode()


def test_editing_one_artist_keeps_the_other_artists_pages_cached(client: Client) -> None:
    kept = ReleaseFactory()
    edited = ReleaseFactory()
    client.get(kept.get_absolute_url())
    edited.title = "Changed"
    edited.save()
    assert client.get(kept.get_absolute_url())["X-Page-Cache"] == "hit"


def test_preview_pages_are_never_cached(client: Client) -> None:
    release = ReleaseFactory(
        visibility=Release.Visibility.SCHEDULED, publish_at=timezone.now() + dt.timedelta(days=3)
    )
    url = f"{release.get_absolute_url()}?preview={release.preview_token}"
    client.get(url)
    response = client.get(url)
    assert "X-Page-Cache" not in response
    assert response["Cache-Control"] == "private, no-store"


def test_renaming_a_tag_refreshes_the_release_pages_that_carry_it(client: Client) -> None:
    release = ReleaseFactory()
    tag = TagFactory(name="swing", slug="swing")
    release.tags.add(tag)
    client.get(release.get_absolute_url())
    tag.name = "hot jazz"
    tag.save()
    assert "hot jazz" in client.get(release.get_absolute_url()).content.decode()
