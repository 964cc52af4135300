"""Each artist's music has a storage quota, and uploads are limited per hour: a stranger
cannot fill the disk, nor keep the encoders busy for days."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from disquaire.backstage.models import Upload
from disquaire.backstage.services.uploads import artist_storage_used
from disquaire.catalog.models import ProcessingStatus, Rendition
from tests.backstage.conftest import Band
from tests.factories import TrackFactory

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def _start(band: Band, name: str, size: int) -> Any:
    url = reverse(
        "backstage:upload_create",
        kwargs={"artist": band.artist.slug, "release_id": band.release.pk},
    )
    return band.client.post(url, {"name": name, "size": size}, content_type="application/json")


def _stored(band: Band, *, master: int, renditions: list[int]) -> None:
    track = TrackFactory(release=band.release, master_bytes=master)
    for number, size in enumerate(renditions):
        Rendition.objects.create(
            track=track,
            format=["mp3-320", "flac", "opus-96"][number],
            bytes=size,
            status=ProcessingStatus.READY,
        )


def test_storage_counts_masters_renditions_and_uploads_under_way(band: Band) -> None:
    _stored(band, master=30 * MB, renditions=[10 * MB, 25 * MB])
    assert _start(band, "next.flac", 5 * MB).status_code == 201
    assert artist_storage_used(artist_id=band.artist.pk) == 70 * MB


def test_an_upload_that_would_pass_the_quota_is_refused_clearly(band: Band, settings: Any) -> None:
    settings.BACKSTAGE_ARTIST_STORAGE_QUOTA = 100 * MB
    _stored(band, master=60 * MB, renditions=[20 * MB, 10 * MB])
    response = _start(band, "big.flac", 20 * MB)
    assert response.status_code == 413
    error = response.json()["error"]
    assert "does not fit" in error and "90.0\xa0MB" in error and "100.0\xa0MB" in error
    assert not Upload.objects.exists()
    assert _start(band, "small.flac", 10 * MB).status_code == 201


def test_uploads_under_way_count_against_the_quota(band: Band, settings: Any) -> None:
    settings.BACKSTAGE_ARTIST_STORAGE_QUOTA = 100 * MB
    assert _start(band, "one.flac", 60 * MB).status_code == 201
    assert _start(band, "two.flac", 60 * MB).status_code == 413


def test_every_artist_has_a_quota_by_default(settings: Any) -> None:
    assert settings.BACKSTAGE_ARTIST_STORAGE_QUOTA > 0


def test_uploads_are_limited_per_hour(band: Band, settings: Any) -> None:
    settings.BACKSTAGE_UPLOADS_PER_HOUR = 3
    codes = [_start(band, f"{n}.flac", MB).status_code for n in range(4)]
    assert codes == [201, 201, 201, 429]
    assert "Too many files" in _start(band, "x.flac", MB).json()["error"]
