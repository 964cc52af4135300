"""The whole release as a zip: real encoded, tagged files with safe unicode names."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from disquaire.audio import probe, read_tags, synth_cover, verify_decodes
from disquaire.catalog.models import ProcessingStatus, Release
from disquaire.catalog.services import imports as import_services
from disquaire.catalog.services import processing as processing_services
from disquaire.delivery.models import ReleaseZip
from disquaire.delivery.selectors import filename_safe, item_formats
from disquaire.delivery.zips import release_zip_build, release_zip_request, zip_fingerprint
from tests.catalog.conftest import make_track
from tests.delivery.conftest import body, grant, ready_release, zip_path

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TITLES = ["Ça commence/ici", "Ωμέγα\x07 — 東京", "..Fin"]
NAMES = ["01 - Ça commence-ici.mp3", "02 - Ωμέγα — 東京.mp3", "03 - Fin.mp3"]


def unicode_release(tmp_path: Path) -> Release:
    folder = tmp_path / "source"
    folder.mkdir()
    synth_cover(title="Été", size=400, path=folder / "cover.jpg")
    for number in range(1, 4):
        make_track(
            folder / f"{number:02d}.flac",
            title=f"Track {number}",
            number=number,
            total=3,
            seconds=1.0,
            seed=number,
            album="Éte",
        )
    result = import_services.release_import(artist_name="Les Écouteurs", path=folder, publish=True)
    release = result.release
    assert release is not None
    for track, title in zip(result.tracks, TITLES, strict=True):
        track.title = title
        track.save(update_fields=["title"])
        track.renditions.exclude(format__in=["mp3-320"]).delete()
        processing_services.track_process(track_id=track.pk)
        track.refresh_from_db()
        assert track.status == ProcessingStatus.READY, track.error
    return release


def test_names_lose_path_separators_control_characters_and_leading_dots() -> None:
    assert filename_safe("a/b\\c\x00d\x1f e\n") == "a-b-c d e"
    assert filename_safe("../../etc/passwd") == "-..-etc-passwd"
    assert filename_safe("   ") == "untitled"
    assert filename_safe("Cafe\u0301") == "Café"  # NFC


def test_the_release_zip_holds_every_track_tagged_and_decodable_plus_the_cover(
    tmp_path: Path,
) -> None:
    release = unicode_release(tmp_path)
    entitlement = grant(release)
    client = Client()
    response = client.get(zip_path(entitlement, "mp3-320"))
    assert response.status_code == 200
    assert response.streaming  # first time: built on the fly
    assert "Les%20%C3%89couteurs" in response["Content-Disposition"]
    data = body(response)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names[:3] == NAMES
        assert names[3:] == ["cover.jpg"]
        assert archive.read("cover.jpg")[:3] == b"\xff\xd8\xff"
        out = tmp_path / "out"
        out.mkdir()
        for index, name in enumerate(NAMES):
            path = out / f"{index}.mp3"
            path.write_bytes(archive.read(name))
            info = probe(path)
            assert info.codec == "mp3"
            assert info.duration_s == pytest.approx(1.0, abs=0.15)
            assert verify_decodes(path, expected_s=info.duration_s) == pytest.approx(1.0, abs=0.15)
            tags = read_tags(path)
            assert tags["title"] == TITLES[index]
            assert tags["album"] == release.title
            assert tags["track_number"] == index + 1

    # The worker stores it; later downloads are served as a file (Range, sendfile...).
    stored = ReleaseZip.objects.get(release=release, format="mp3-320")
    assert stored.status == ProcessingStatus.PENDING
    assert release_zip_build(release_zip_id=stored.pk)
    assert not release_zip_build(release_zip_id=stored.pk)  # idempotent
    again = client.get(zip_path(entitlement, "mp3-320"))
    assert again.status_code == 200
    assert not again.streaming or again["Content-Length"]
    stored_bytes = body(again)
    with zipfile.ZipFile(io.BytesIO(stored_bytes)) as archive:
        assert archive.namelist()[:3] == NAMES
    resumed = client.get(zip_path(entitlement, "mp3-320"), HTTP_RANGE="bytes=100-199")
    assert resumed.status_code == 206
    assert body(resumed) == stored_bytes[100:200]
    entitlement.refresh_from_db()
    assert entitlement.download_count == 2  # the resumed part is not a new download


def test_a_zip_build_left_by_a_dead_worker_is_queued_again_and_errors_are_recorded() -> None:
    release = ready_release(tracks=2, formats=("flac",))
    files = next(c for c in item_formats(list(release.tracks.all())) if c.key == "flac").files
    fingerprint = zip_fingerprint(release=release, files=files)
    release_zip_request(release=release, key="flac", fingerprint=fingerprint)
    row = ReleaseZip.objects.get(release=release, format="flac")
    ReleaseZip.objects.filter(pk=row.pk).update(
        status=ProcessingStatus.PROCESSING, updated_at=timezone.now() - dt.timedelta(hours=1)
    )
    release_zip_request(release=release, key="flac", fingerprint=fingerprint)
    row.refresh_from_db()
    assert row.status == ProcessingStatus.PENDING

    missing = ReleaseZip.objects.create(release=release, format="alac")
    assert not release_zip_build(release_zip_id=missing.pk)
    missing.refresh_from_db()
    assert missing.status == ProcessingStatus.FAILED
    assert "not ready for every track" in missing.error
    assert release_zip_build(release_zip_id=row.pk)
    row.refresh_from_db()
    assert row.status == ProcessingStatus.READY and row.bytes and row.file.name
