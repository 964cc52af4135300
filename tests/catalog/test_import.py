from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage

from disquaire.audio import read_tags
from disquaire.audio.formats import DOWNLOAD_FORMATS, FORMATS, STREAMING_FORMATS
from disquaire.catalog.models import ProcessingStatus, Release, Track
from disquaire.catalog.services import imports as import_services
from disquaire.catalog.services import processing as processing_services
from tests.catalog.conftest import ARTIST, make_track

pytestmark = pytest.mark.django_db


@pytest.fixture
def ffmpeg_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The command line of every ffmpeg started from here on."""
    from disquaire.audio import ffmpeg

    runs: list[list[str]] = []
    real = ffmpeg.ffmpeg_command

    def recording(*args: Any, **kwargs: Any) -> list[str]:
        runs.append(real(*args, **kwargs))
        return runs[-1]

    monkeypatch.setattr(ffmpeg, "ffmpeg_command", recording)
    return runs


def _keys(formats: object) -> set[str]:
    return {getattr(f, "key", f) for f in formats}  # type: ignore[attr-defined]


def test_folder_import_orders_tracks_by_tag_and_reads_titles(album_dir: Path) -> None:
    result = import_services.release_import(artist_name=ARTIST, path=album_dir)

    assert result.exit_code == 0
    release = result.release
    assert release is not None
    assert release.title == "Sous la Pluie"
    assert release.artist.name == ARTIST
    assert release.visibility == Release.Visibility.DRAFT
    assert release.release_date is not None and release.release_date.year == 2024
    assert release.cover.name
    titles = list(release.tracks.order_by("position").values_list("title", flat=True))
    assert titles == ["Première", "Deuxième", "Troisième"]
    first = release.tracks.get(position=1)
    assert first.isrc == "FRZ032400001"
    assert first.duration_ms == pytest.approx(2000, abs=60)
    assert first.master_lossless and first.master_sample_rate == 44100


def test_lossless_master_plans_every_streaming_and_download_format(album_dir: Path) -> None:
    result = import_services.release_import(artist_name=ARTIST, path=album_dir)
    track = result.tracks[0]
    planned = set(track.renditions.values_list("format", flat=True))
    assert planned == _keys(STREAMING_FORMATS) | _keys(DOWNLOAD_FORMATS)
    assert "original" not in planned


def test_lossy_master_is_never_dressed_up(tmp_path: Path) -> None:
    folder = tmp_path / "lossy"
    folder.mkdir()
    make_track(
        folder / "01 - Song.mp3", title="Song", number=1,
        codec_args=["-c:a", "libmp3lame", "-b:a", "192k"],
    )  # fmt: skip
    result = import_services.release_import(artist_name=ARTIST, path=folder)
    track = result.tracks[0]
    planned = set(track.renditions.values_list("format", flat=True))
    assert "original" in planned
    for key in planned - {"original"}:
        fmt = FORMATS[key]
        assert not fmt.lossless, key
        assert fmt.nominal_kbps is not None and fmt.nominal_kbps <= 192, key
    original = track.renditions.get(format="original")
    assert original.status == ProcessingStatus.READY
    assert original.file.name == track.master.name


def test_processing_makes_every_format_with_tags_and_cover(album_dir: Path) -> None:
    result = import_services.release_import(artist_name=ARTIST, path=album_dir, publish=True)
    track = result.tracks[0]

    processing_services.track_process(track_id=track.pk)

    track.refresh_from_db()
    assert track.status == ProcessingStatus.READY, track.error
    assert track.peaks is not None and len(track.peaks) > 100
    # The encoding run's wall time, for /metrics (catalog.selectors.encodes_metrics).
    assert track.encode_seconds is not None and track.encode_seconds > 0
    assert track.loudness_lufs is not None and -40 < track.loudness_lufs < 0
    release = track.release
    for rendition in track.renditions.all():
        assert rendition.status == ProcessingStatus.READY
        assert rendition.bytes and rendition.bytes > 1000
        assert default_storage.size(rendition.file.name) == rendition.bytes
        local = Path(default_storage.path(rendition.file.name))
        tags = read_tags(local)
        assert tags["title"] == "Première", rendition.format
        assert tags["artist"] == ARTIST
        assert tags["album"] == "Sous la Pluie"
        assert tags["album_artist"] == ARTIST
        assert (tags["track_number"], tags["track_total"]) == (1, 3)
        assert tags["year"] == 2024
        assert tags["isrc"] == "FRZ032400001"
        assert tags["comment"] == "http://testserver" + release.get_absolute_url()
        if FORMATS[rendition.format].embeds_cover:
            assert tags["cover"] and tags["cover"][:2] == b"\xff\xd8", rendition.format


def test_import_reads_headers_only_and_processing_decodes_each_master_once(
    album_dir: Path, ffmpeg_runs: list[list[str]]
) -> None:
    result = import_services.release_import(artist_name=ARTIST, path=album_dir)
    assert ffmpeg_runs == []  # the import answers without decoding any audio

    track = result.tracks[0]
    processing_services.track_process(track_id=track.pk)

    # One ffmpeg made every format, the loudness and the peaks, and checked the length.
    (command,) = ffmpeg_runs
    assert command.count("-i") == 1
    assert command.count(default_storage.path(track.master.name)) == 1
    track.refresh_from_db()
    assert track.status == ProcessingStatus.READY
    assert not track.renditions.exclude(status=ProcessingStatus.READY).exists()
    assert track.peaks is not None and track.loudness_lufs is not None
    assert track.duration_ms == pytest.approx(2000, abs=20)


def test_a_truncated_master_fails_its_track_at_once_with_the_reason(tmp_path: Path) -> None:
    folder = tmp_path / "cut"
    folder.mkdir()
    whole = make_track(tmp_path / "whole.flac", title="Coupée", number=1, seconds=8)
    (folder / "01.flac").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    result = import_services.release_import(artist_name=ARTIST, path=folder)
    assert result.rejected == []  # the header is whole: the import takes it
    track = result.tracks[0]

    processing_services.track_process(track_id=track.pk)

    track.refresh_from_db()
    assert track.status == ProcessingStatus.FAILED
    assert track.attempts == 1  # no retry: the same bytes would decode the same
    assert track.error.startswith("truncated: decodes to ")
    assert track.error.endswith(" s but its header says 8.0 s")
    for rendition in track.renditions.all():
        assert rendition.status == ProcessingStatus.FAILED and rendition.error == track.error
        assert not rendition.file
    assert not default_storage.exists(f"renditions/{track.release_id}")


def test_processing_twice_does_no_work_the_second_time(album_dir: Path) -> None:
    track = import_services.release_import(artist_name=ARTIST, path=album_dir).tracks[0]
    processing_services.track_process(track_id=track.pk)
    before = {r.format: (r.file.name, r.updated_at) for r in track.renditions.all()}

    processing_services.track_process(track_id=track.pk)

    after = {r.format: (r.file.name, r.updated_at) for r in track.renditions.all()}
    assert before == after


def test_failed_encode_is_retried_then_marked_failed_with_readable_error(
    album_dir: Path, settings: object
) -> None:
    track = import_services.release_import(artist_name=ARTIST, path=album_dir).tracks[0]
    # The master disappears from storage after the import (a broken disk, say).
    default_storage.delete(track.master.name)

    processing_services.track_process(track_id=track.pk)
    track.refresh_from_db()
    assert track.status == ProcessingStatus.PENDING
    assert "retrying" in track.error

    for _ in range(5):
        processing_services.track_process(track_id=track.pk)
    track.refresh_from_db()
    assert track.status == ProcessingStatus.FAILED
    assert track.attempts == settings.TASK_MAX_ATTEMPTS  # type: ignore[attr-defined]
    assert track.error and "retrying" not in track.error
    assert not track.renditions.exclude(format="original").filter(status="ready").exists()


def test_stale_processing_track_is_put_back_in_the_queue(album_dir: Path) -> None:
    from datetime import timedelta

    from django.utils import timezone

    track = import_services.release_import(artist_name=ARTIST, path=album_dir).tracks[0]
    long_ago = timezone.now() - timedelta(hours=1)
    Track.objects.filter(pk=track.pk).update(status="processing", heartbeat_at=long_ago)

    assert processing_services.tracks_recover_stale() >= 1

    track.refresh_from_db()
    assert track.status == ProcessingStatus.PENDING
    processing_services.track_process(track_id=track.pk)
    track.refresh_from_db()
    assert track.status == ProcessingStatus.READY


def test_processing_to_s3_storage(album_dir: Path, s3_storage: str) -> None:
    import boto3
    from django.conf import settings

    track = import_services.release_import(artist_name=ARTIST, path=album_dir).tracks[0]
    processing_services.track_process(track_id=track.pk)

    track.refresh_from_db()
    assert track.status == ProcessingStatus.READY, track.error
    options = settings.STORAGES["default"]["OPTIONS"]
    client = boto3.client(
        "s3", endpoint_url=options["endpoint_url"], aws_access_key_id="test",
        aws_secret_access_key="test", region_name="us-east-1",
    )  # fmt: skip
    names = {obj["Key"] for obj in client.list_objects_v2(Bucket=s3_storage)["Contents"]}
    for rendition in track.renditions.all():
        assert rendition.file.name in names
    assert track.master.name in names
