"""Plays are counted per track and day when the player starts a track."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from disquaire.catalog.models import Release
from disquaire.storefront.models import TrackPlayDay
from tests.factories import ReleaseFactory, TrackFactory

pytestmark = pytest.mark.django_db


def _url(track_id: int) -> str:
    return reverse("storefront:listen_played", kwargs={"track_id": track_id})


def test_starting_a_track_counts_a_play_for_today(client: Client) -> None:
    track = TrackFactory()

    for _ in range(3):
        response = client.post(_url(track.pk), HTTP_ORIGIN="http://testserver")
        assert response.status_code == 204
        assert response["Cache-Control"] == "private, no-store"

    assert TrackPlayDay.objects.get(track=track).plays == 3


def test_plays_from_another_site_are_refused(client: Client) -> None:
    track = TrackFactory()
    response = client.post(_url(track.pk), HTTP_ORIGIN="https://elsewhere.example")
    assert response.status_code == 403
    assert not TrackPlayDay.objects.exists()


def test_plays_of_a_hidden_release_are_refused(client: Client) -> None:
    track = TrackFactory(release=ReleaseFactory(visibility=Release.Visibility.DRAFT))
    assert client.post(_url(track.pk)).status_code == 404
    assert not TrackPlayDay.objects.exists()


def test_the_player_is_given_the_address_to_report_plays(client: Client) -> None:
    track = TrackFactory()
    html = client.get(track.release.get_absolute_url()).content.decode()
    assert f'data-played="{_url(0)}"' in html
