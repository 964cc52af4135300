"""A band's own instance opens on the band's page; the directory stays at /artists/."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from disquaire.catalog.models import Release
from tests.factories import ArtistFactory, ReleaseFactory

pytestmark = pytest.mark.django_db


def _h1(html: str) -> str:
    return html.split("<h1", 1)[1].split(">", 1)[1].split("</h1>", 1)[0]


def test_the_root_of_a_one_band_site_is_the_bands_page(client: Client) -> None:
    release = ReleaseFactory(artist__name="Les Bijoux", artist__slug="les-bijoux")
    # An artist with nothing published yet does not make it a directory.
    ReleaseFactory(artist__name="Not Yet", visibility=Release.Visibility.DRAFT)

    html = client.get("/").content.decode()
    assert _h1(html) == "Les Bijoux"
    assert release.title in html
    assert '<link rel="canonical" href="http://testserver/les-bijoux/">' in html

    directory = client.get("/artists/").content.decode()
    assert _h1(directory) == "Latest releases"
    assert 'href="/les-bijoux/">Les Bijoux</a>' in directory


def test_the_root_is_the_directory_once_a_second_artist_publishes(client: Client) -> None:
    ReleaseFactory(artist__name="First")
    assert _h1(client.get("/").content.decode()) == "First"
    second = ReleaseFactory(artist__name="Second", visibility=Release.Visibility.DRAFT)

    second.visibility = Release.Visibility.PUBLISHED
    second.save()

    assert _h1(client.get("/").content.decode()) == "Latest releases"


def test_the_operator_chooses_the_artist_of_the_root(client: Client, settings: Any) -> None:
    ReleaseFactory(artist__name="Label Star")
    chosen = ArtistFactory(name="House Band", slug="house-band")
    ReleaseFactory(artist=chosen)
    settings.DISQUAIRE_HOME_ARTIST = "house-band"
    assert _h1(client.get("/").content.decode()) == "House Band"
    assert _h1(client.get("/artists/").content.decode()) == "Latest releases"


def test_a_chosen_artist_that_does_not_exist_leaves_the_directory(
    client: Client, settings: Any
) -> None:
    ReleaseFactory(artist__name="Only One")
    settings.DISQUAIRE_HOME_ARTIST = "nobody"
    response = client.get("/")
    assert response.status_code == 200
    assert _h1(response.content.decode()) == "Latest releases"


def test_artists_is_a_reserved_address() -> None:
    from django.core.exceptions import ValidationError

    from disquaire.catalog.validators import validate_not_reserved

    with pytest.raises(ValidationError):
        validate_not_reserved("artists")
