"""When the catalogue finishes a track, the public site cuts its preview clips."""

from __future__ import annotations

from pathlib import Path

import pytest

from disquaire.catalog.models import PreviewPolicy, Release
from disquaire.catalog.services import imports as import_services
from disquaire.catalog.services import processing as processing_services
from disquaire.storefront.models import Clip
from tests.catalog.conftest import ARTIST, make_track

pytestmark = pytest.mark.django_db


def _import(tmp_path: Path, policy: str) -> Release:
    folder = tmp_path / "src"
    folder.mkdir()
    make_track(folder / "01.flac", title="Un", number=1, total=1, seconds=2)
    result = import_services.release_import(artist_name=ARTIST, path=folder, publish=True)
    assert result.release is not None
    Release.objects.filter(pk=result.release.pk).update(preview_policy=policy)
    return result.release


def test_processing_a_track_of_a_clips_release_asks_for_its_clips(tmp_path: Path) -> None:
    release = _import(tmp_path, PreviewPolicy.CLIPS)
    track = release.tracks.get()

    processing_services.track_process(track_id=track.pk)

    assert set(Clip.objects.filter(track=track).values_list("format", flat=True)) == {
        "mp3-128",
        "opus-96",
    }


def test_processing_a_track_of_a_full_release_makes_no_clips(tmp_path: Path) -> None:
    release = _import(tmp_path, PreviewPolicy.FULL)
    track = release.tracks.get()

    processing_services.track_process(track_id=track.pk)

    assert not Clip.objects.filter(track=track).exists()
