"""Resumable chunked uploads: limits announced and enforced, resume, finishing into a track."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from disquaire.backstage.models import Upload
from disquaire.catalog.models import ProcessingStatus, Rendition, Track
from disquaire.catalog.services import processing as processing_services
from tests.backstage.conftest import Band

CHUNK = 16 * 1024


@pytest.fixture(autouse=True)
def small_chunks(settings: Any) -> None:
    settings.BACKSTAGE_UPLOAD_CHUNK_BYTES = CHUNK


def _start(band: Band, name: str, size: int) -> Any:
    url = reverse(
        "backstage:upload_create",
        kwargs={"artist": band.artist.slug, "release_id": band.release.pk},
    )
    return band.client.post(url, {"name": name, "size": size}, content_type="application/json")


def _put(client: Client, url: str, data: bytes, start: int, total: int) -> Any:
    return client.put(
        url,
        data,
        content_type="application/octet-stream",
        headers={"content-range": f"bytes {start}-{start + len(data) - 1}/{total}"},
    )


def _send_all(client: Client, state: dict[str, Any], data: bytes) -> None:
    offset = state["received"]
    while offset < len(data):
        response = _put(client, state["url"], data[offset : offset + CHUNK], offset, len(data))
        assert response.status_code == 200, response.json()
        offset = response.json()["received"]


@pytest.mark.django_db
def test_release_page_explains_the_limits_before_any_upload(band: Band) -> None:
    page = band.client.get(
        reverse(
            "backstage:release", kwargs={"artist": band.artist.slug, "release_id": band.release.pk}
        )
    ).content.decode()
    assert ".flac" in page and ".jpg" in page
    assert "up to 4.0" in page  # the audio size limit, in words, next to the drop zone
    assert 'data-audio-max="' in page and 'data-chunk="' in page


@pytest.mark.django_db
def test_chunked_upload_resumes_after_an_interrupted_chunk_and_finishes_into_a_queued_track(
    band: Band, flac: Path, django_capture_on_commit_callbacks: Any
) -> None:
    data = flac.read_bytes()
    assert len(data) > 3 * CHUNK
    response = _start(band, flac.name, len(data))
    assert response.status_code == 201
    state = response.json()
    url = state["url"]

    assert _put(band.client, url, data[:CHUNK], 0, len(data)).json()["received"] == CHUNK
    # The connection drops mid-chunk: the body is shorter than its Content-Range says.
    cut = band.client.put(
        url,
        data[CHUNK : CHUNK + 1000],
        content_type="application/octet-stream",
        headers={"content-range": f"bytes {CHUNK}-{2 * CHUNK - 1}/{len(data)}"},
    )
    assert cut.status_code == 400 and cut.json()["received"] == CHUNK
    # A chunk sent from the wrong place is refused with the server's count.
    wrong = _put(band.client, url, data[2 * CHUNK : 3 * CHUNK], 2 * CHUNK, len(data))
    assert wrong.status_code == 409 and wrong.json()["received"] == CHUNK
    # The client asks where to resume, and goes on from there.
    assert band.client.get(url).json()["received"] == CHUNK
    _send_all(band.client, {"url": url, "received": CHUNK}, data)

    with django_capture_on_commit_callbacks(execute=True):
        finished = band.client.post(state["finish_url"])
    assert finished.status_code == 200, finished.json()
    track = Track.objects.get(release=band.release)
    assert finished.json()["track"] == track.pk
    assert f'id="track-{track.pk}"' in finished.json()["row"]  # the page adds the row itself
    assert track.position == 1 and track.title == "Sous la pluie"
    assert track.master_bytes == len(data) and track.master_filename == flac.name
    assert track.status == ProcessingStatus.PENDING
    assert track.task_id and DBTaskResult.objects.filter(id=track.task_id).exists()
    assert Rendition.objects.filter(track=track).exists()  # the formats to make are planned
    assert not Upload.objects.get(pk=state["id"]).scratch_path.exists()


@pytest.mark.django_db
def test_second_upload_goes_to_the_end_of_the_tracklist(band: Band, flac: Path) -> None:
    data = flac.read_bytes()
    for _ in range(2):
        state = _start(band, flac.name, len(data)).json()
        _send_all(band.client, state, data)
        assert band.client.post(state["finish_url"]).status_code == 200
    assert list(band.release.tracks.values_list("position", flat=True)) == [1, 2]


@pytest.mark.django_db
def test_finishing_before_all_bytes_arrived_is_refused(band: Band, flac: Path) -> None:
    data = flac.read_bytes()
    state = _start(band, flac.name, len(data)).json()
    _put(band.client, state["url"], data[:CHUNK], 0, len(data))
    response = band.client.post(state["finish_url"])
    assert response.status_code == 409 and response.json()["received"] == CHUNK
    assert not Track.objects.exists()


@pytest.mark.parametrize(
    ("name", "size", "status", "words"),
    [
        ("notes.pdf", 1000, 400, "neither audio"),
        ("empty.flac", 0, 400, "empty"),
        ("huge.wav", 5 * 1024**3, 413, "larger than"),
        ("huge.png", 31 * 1024**2, 413, "larger than"),
    ],
)
@pytest.mark.django_db
def test_refused_types_and_sizes_are_answered_before_sending(
    band: Band, name: str, size: int, status: int, words: str
) -> None:
    response = _start(band, name, size)
    assert response.status_code == status
    assert words in response.json()["error"] and name in response.json()["error"]
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_audio_is_refused_with_the_importers_reason(band: Band) -> None:
    data = b"this is not a flac file at all" * 100
    state = _start(band, "fake.flac", len(data)).json()
    _send_all(band.client, state, data)
    response = band.client.post(state["finish_url"])
    assert response.status_code == 422
    assert response.json()["error"]
    assert Upload.objects.get(pk=state["id"]).status == Upload.Status.FAILED
    assert not Track.objects.exists()


@pytest.mark.django_db
def test_truncated_audio_is_refused_when_processed_with_the_reason_on_its_track(
    band: Band, flac: Path
) -> None:
    data = flac.read_bytes()[: len(flac.read_bytes()) // 2]
    state = _start(band, flac.name, len(data)).json()
    _send_all(band.client, state, data)
    # The upload answers once the header is read and the file stored, without decoding it.
    response = band.client.post(state["finish_url"])
    assert response.status_code == 200, response.json()
    track = Track.objects.get(pk=response.json()["track"])

    processing_services.track_process(track_id=track.pk)

    track.refresh_from_db()
    assert track.status == ProcessingStatus.FAILED  # at once: no retry can mend the file
    assert track.error.startswith("truncated: decodes to 0.")
    assert track.error.endswith("but its header says 1.5 s")
    status = band.client.get(
        reverse(
            "backstage:release_status",
            kwargs={"artist": band.artist.slug, "release_id": band.release.pk},
        )
    ).json()
    assert status["tracks"][0]["status"] == "failed"
    assert status["tracks"][0]["error"] == track.error


@pytest.mark.django_db
def test_cover_upload_becomes_the_release_cover(band: Band, cover_jpg: Path) -> None:
    data = cover_jpg.read_bytes()
    state = _start(band, "cover.jpg", len(data)).json()
    assert state["kind"] == "cover"
    _send_all(band.client, state, data)
    finished = band.client.post(state["finish_url"])
    assert finished.status_code == 200
    band.release.refresh_from_db()
    assert band.release.cover.name.startswith("covers/")
    # The band sees its draft's cover (stored files have no public address of their own).
    shown = band.client.get(finished.json()["cover_url"])
    assert shown.status_code == 200 and shown["Content-Type"] == "image/webp"
    assert shown.content[:4] == b"RIFF" and shown.content[8:12] == b"WEBP"
    page = band.client.get(
        reverse(
            "backstage:release", kwargs={"artist": band.artist.slug, "release_id": band.release.pk}
        )
    )
    assert f'src="{finished.json()["cover_url"]}"' in page.content.decode()


@pytest.mark.django_db
def test_an_image_that_does_not_load_is_refused(band: Band) -> None:
    data = b"\x89PNG not really" * 50
    state = _start(band, "cover.png", len(data)).json()
    _send_all(band.client, state, data)
    response = band.client.post(state["finish_url"])
    assert response.status_code == 422 and response.json()["error"]
    band.release.refresh_from_db()
    assert not band.release.cover


@pytest.mark.django_db
def test_chunks_larger_than_allowed_are_refused(band: Band) -> None:
    state = _start(band, "big.wav", 3 * CHUNK).json()
    response = _put(band.client, state["url"], b"x" * (2 * CHUNK), 0, 3 * CHUNK)
    assert response.status_code == 413
    assert band.client.get(state["url"]).json()["received"] == 0


@pytest.mark.django_db
def test_chunk_upload_needs_the_csrf_token(band: Band) -> None:
    state = _start(band, "a.wav", 10).json()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(band.user)
    response = _put(strict, state["url"], b"0123456789", 0, 10)
    assert response.status_code == 403


@pytest.mark.django_db
def test_abandoned_uploads_are_removed_with_their_bytes(band: Band) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from disquaire.backstage.services.uploads import uploads_expire

    old = Upload.objects.get(pk=_start(band, "old.wav", 100).json()["id"])
    fresh = Upload.objects.get(pk=_start(band, "new.wav", 100).json()["id"])
    Upload.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))
    assert old.scratch_path.exists()
    assert uploads_expire() == 1
    assert not old.scratch_path.exists() and not Upload.objects.filter(pk=old.pk).exists()
    assert fresh.scratch_path.exists()
