"""A cached release page is answered without touching the database."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import ReleaseFactory, TrackFactory

pytestmark = pytest.mark.django_db


def test_cached_release_page_costs_no_query(client: Client, django_assert_num_queries: Any) -> None:
    release = ReleaseFactory()
    TrackFactory(release=release)
    first = client.get(release.get_absolute_url())
    assert first["X-Page-Cache"] == "miss"

    with django_assert_num_queries(0):
        second = client.get(release.get_absolute_url())

    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content


def test_edit_after_caching_is_seen_through_the_fast_path(client: Client) -> None:
    release = ReleaseFactory(title="Before")
    client.get(release.get_absolute_url())
    release.title = "After"
    release.save()

    response = client.get(release.get_absolute_url())

    assert response["X-Page-Cache"] == "miss" and "After" in response.content.decode()


def test_release_taken_down_after_caching_is_not_served_from_the_cache(client: Client) -> None:
    release = ReleaseFactory()
    assert client.get(release.get_absolute_url()).status_code == 200
    release.visibility = release.Visibility.DRAFT
    release.save()

    assert client.get(release.get_absolute_url()).status_code == 404
