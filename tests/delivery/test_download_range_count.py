"""The download limit counts every answer that holds the file's first byte, whatever the
Range header says, in every way a file is served."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from disquaire.core import fileserve
from disquaire.core.fileserve import file_response_grants_start
from tests.delivery.conftest import body, file_bytes, file_path, grant, ready_release, zip_path

pytestmark = pytest.mark.django_db

WHOLE_FILE_RANGES = [
    "bytes=-99999999999",  # a suffix longer than the file: all of it
    "bytes=-2048",  # a suffix exactly as long as the file
    "bytes=00-",
    "bytes = 0 - ",
    "bytes=0-10,20-30",  # several ranges: answered with the whole file
    "bytes=1000-,0-",
    "bytes=10-5",  # backwards: ignored
    "bytes=abc",
    "lines=1000-",
    "bytes=" + "9" * 5000 + "-",  # beyond int(): ignored
]


@pytest.mark.parametrize("header", WHOLE_FILE_RANGES)
def test_a_range_that_reaches_byte_zero_is_counted(header: str) -> None:
    release = ready_release(tracks=1, formats=("flac",))
    entitlement = grant(release)
    track = release.tracks.get()
    response = Client().get(file_path(entitlement, track.pk, "flac"), HTTP_RANGE=header)
    assert response.status_code in (200, 206)
    assert body(response)[:64] == file_bytes(track.pk, "flac", 2048)[:64]
    entitlement.refresh_from_db()
    assert entitlement.download_count == 1


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1-1500", "bytes=-100"])
def test_a_range_past_byte_zero_is_served_uncounted(header: str) -> None:
    release = ready_release(tracks=1, formats=("flac",))
    entitlement = grant(release)
    track = release.tracks.get()
    response = Client().get(file_path(entitlement, track.pk, "flac"), HTTP_RANGE=header)
    assert response.status_code == 206
    entitlement.refresh_from_db()
    assert entitlement.download_count == 0


def test_a_range_whose_if_range_no_longer_holds_is_the_whole_file_and_counts() -> None:
    release = ready_release(tracks=1, formats=("flac",))
    entitlement = grant(release)
    track = release.tracks.get()
    response = Client().get(
        file_path(entitlement, track.pk, "flac"),
        HTTP_RANGE="bytes=1000-",
        HTTP_IF_RANGE='"an-older-version"',
    )
    assert response.status_code == 200
    entitlement.refresh_from_db()
    assert entitlement.download_count == 1


def test_a_resumed_download_whose_if_range_holds_is_not_counted_again() -> None:
    release = ready_release(tracks=1, formats=("flac",))
    entitlement = grant(release)
    track = release.tracks.get()
    whole = Client().get(file_path(entitlement, track.pk, "flac"))
    assert whole.status_code == 200 and whole["ETag"]
    resumed = Client().get(
        file_path(entitlement, track.pk, "flac"),
        HTTP_RANGE="bytes=1000-",
        HTTP_IF_RANGE=whole["ETag"],  # what a browser sends back: the quoted ETag
    )
    assert resumed.status_code == 206
    entitlement.refresh_from_db()
    assert entitlement.download_count == 1  # the first, whole download only


def test_the_limit_cannot_be_dodged_with_ranges(settings: Any) -> None:
    settings.DISQUAIRE_DOWNLOAD_LIMIT = 1
    release = ready_release(tracks=1, formats=("flac",))
    entitlement = grant(release)
    url = file_path(entitlement, release.tracks.get().pk, "flac")
    client = Client()
    assert client.get(url).status_code == 200
    for header in WHOLE_FILE_RANGES:
        assert client.get(url, HTTP_RANGE=header).status_code == 403, header


def test_the_zip_made_on_the_fly_counts_whatever_the_range() -> None:
    release = ready_release(tracks=2, formats=("flac",))
    entitlement = grant(release)
    response = Client().get(zip_path(entitlement, "flac"), HTTP_RANGE="bytes=1000-")
    assert response.status_code == 200
    assert body(response)[:2] == b"PK"
    entitlement.refresh_from_db()
    assert entitlement.download_count == 1


def test_behind_nginx_a_range_reaching_byte_zero_counts(settings: Any) -> None:
    settings.DISQUAIRE_FILE_SERVING = "x-accel"
    release = ready_release(tracks=1, formats=("flac",))
    entitlement = grant(release)
    url = file_path(entitlement, release.tracks.get().pk, "flac")
    client = Client()
    assert "X-Accel-Redirect" in client.get(url, HTTP_RANGE="bytes=00-")
    assert client.get(url, HTTP_RANGE="bytes=1000-").status_code == 200
    # nginx judges If-Range against its own ETag: it may send the whole file.
    client.get(url, HTTP_RANGE="bytes=1000-", HTTP_IF_RANGE='"whatever"')
    entitlement.refresh_from_db()
    assert entitlement.download_count == 2


def test_on_s3_every_presigned_url_counts_even_for_a_range_or_a_head(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The presigned URL opens the whole file to a GET, whatever request obtained it."""
    monkeypatch.setattr(fileserve, "_is_s3", lambda storage: True)
    factory = RequestFactory()
    assert file_response_grants_start(factory.get("/", HTTP_RANGE="bytes=1000-"), size=2048)
    assert file_response_grants_start(factory.head("/"), size=2048)


def test_a_head_request_sends_nothing_and_counts_nothing() -> None:
    release = ready_release(tracks=1, formats=("flac",))
    entitlement = grant(release)
    response = Client().head(file_path(entitlement, release.tracks.get().pk, "flac"))
    assert response.status_code == 200
    entitlement.refresh_from_db()
    assert entitlement.download_count == 0
