"""Downloads are counted per track and day for the band's statistics."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from disquaire.delivery.models import TrackDownloadDay
from tests.delivery.conftest import body, file_path, grant, ready_release, zip_path

pytestmark = pytest.mark.django_db


def _counts() -> dict[int, int]:
    return dict(TrackDownloadDay.objects.values_list("track__position", "downloads"))


def test_a_file_counts_for_its_track_and_a_resumed_download_does_not() -> None:
    release = ready_release(tracks=2, formats=("flac",))
    entitlement = grant(release)
    second = release.tracks.get(position=2)

    Client().get(file_path(entitlement, second.pk, "flac"))
    Client().get(file_path(entitlement, second.pk, "flac"), HTTP_RANGE="bytes=100-")

    assert _counts() == {2: 1}


def test_a_zip_counts_for_every_track_of_the_release() -> None:
    release = ready_release(tracks=2, formats=("flac",))
    entitlement = grant(release)

    response = Client().get(zip_path(entitlement, "flac"))
    body(response)

    assert _counts() == {1: 1, 2: 1}


def test_a_ten_track_zip_is_counted_in_as_many_statements_as_a_one_track_zip(
    django_assert_max_num_queries: Any,
) -> None:
    # Entitlement, tracks, renditions, stored zip; the download counted; every track's
    # day counted in one statement; the stored zip queued (read, savepoint, insert,
    # release, update): 11, whether the release has one track or ten.
    single = grant(ready_release(tracks=1, formats=("flac",)), ref="order:A0")
    with django_assert_max_num_queries(11):
        body(Client().get(zip_path(single, "flac")))
    entitlement = grant(ready_release(tracks=10, formats=("flac",)))
    with django_assert_max_num_queries(11):
        body(Client().get(zip_path(entitlement, "flac")))
    with django_assert_max_num_queries(11):  # the day's rows exist now: added to
        body(Client().get(zip_path(entitlement, "flac")))
    tracks = TrackDownloadDay.objects.filter(track__release=entitlement.release)
    assert dict(tracks.values_list("track__position", "downloads")) == {n: 2 for n in range(1, 11)}
