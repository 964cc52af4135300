"""The player's data: what every visitor shares comes from the page cache, the signed
stream URLs are each visitor's own, and an edit or a finished track shows at once."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disquaire.catalog.models import ProcessingStatus, Release, Track
from disquaire.core.signing import token_read
from disquaire.storefront.listening.streams import STREAM_PURPOSE
from tests.factories import ReleaseFactory, TrackFactory
from tests.storefront.factories import RenditionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def release() -> Release:
    cache.clear()
    release = ReleaseFactory(visibility=Release.Visibility.PUBLISHED)
    for position in (1, 2, 3):
        track = TrackFactory(release=release, position=position, status=ProcessingStatus.READY)
        RenditionFactory(track=track, format="opus-96")
        RenditionFactory(track=track, format="mp3-320")
    return release


def _data(client: Client, release: Release) -> tuple[dict, int]:
    url = reverse("storefront:listen_data", args=[release.pk])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response.json(), len(ctx.captured_queries)


def test_a_second_visitor_gets_the_track_list_from_the_cache_with_urls_of_their_own(
    client: Client, release: Release
) -> None:
    first, first_queries = _data(client, release)
    second, second_queries = _data(Client(), release)

    assert second_queries < first_queries
    with CaptureQueriesContext(connection) as ctx:
        _data(Client(), release)
    assert not [q for q in ctx.captured_queries if "catalog_rendition" in q["sql"]]
    assert [t["title"] for t in second["tracks"]] == [t["title"] for t in first["tracks"]]
    assert all(t["sources"] and not t["pending"] for t in second["tracks"])
    assert [len(t["sources"]) for t in second["tracks"]] == [
        len(t["sources"]) for t in first["tracks"]
    ]
    # The signed URLs are minted for each request and play.
    source = second["tracks"][0]["sources"][0]
    assert source["type"].startswith("audio/ogg")
    payload = token_read(purpose=STREAM_PURPOSE, token=source["src"].split("/")[2])
    assert payload["t"] == second["tracks"][0]["id"] and payload["m"] == "full"


def test_an_edited_title_shows_at_once(client: Client, release: Release) -> None:
    _data(client, release)
    track = Track.objects.get(release=release, position=1)
    track.title = "A new title"
    track.save()

    data, _queries = _data(client, release)

    assert data["tracks"][0]["title"] == "A new title"


def test_a_list_with_a_track_still_processing_is_not_kept(client: Client, release: Release) -> None:
    late = TrackFactory(release=release, position=4, status=ProcessingStatus.READY)
    rendition = RenditionFactory(track=late, format="opus-96", status=ProcessingStatus.PENDING)

    data, _queries = _data(client, release)
    assert data["tracks"][3]["pending"] is True

    # The rendition is ready. Nothing bumps the pages here (track_processed would): the
    # next visitor sees it only because the list with a pending track was not kept.
    rendition.status = ProcessingStatus.READY
    rendition.save()
    data, _queries = _data(client, release)
    assert data["tracks"][3]["pending"] is False and data["tracks"][3]["sources"]
