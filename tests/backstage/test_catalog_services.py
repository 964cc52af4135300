"""The catalogue services added for the backstage, called directly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from disquaire.audio import AudioError
from disquaire.catalog.models import Release, Track
from disquaire.catalog.services import editing as editing_services
from tests.backstage.conftest import Band
from tests.factories import TrackFactory


@pytest.mark.django_db
def test_track_add_from_upload_appends_and_queues_after_commit(
    band: Band, flac: Path, django_capture_on_commit_callbacks: Any
) -> None:
    TrackFactory(release=band.release, position=4)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        track = editing_services.track_add_from_upload(
            release=band.release, path=flac, filename="My Song.flac"
        )
    assert track.position == 5 and track.master_filename == "My Song.flac"
    assert track.duration_ms and 1400 <= track.duration_ms <= 1600
    assert len(callbacks) == 1 and not track.task_id  # queued only once committed
    assert flac.exists()  # the caller's file is left in place


@pytest.mark.django_db
def test_track_add_from_upload_refuses_an_empty_file(band: Band, tmp_path: Path) -> None:
    empty = tmp_path / "empty.flac"
    empty.write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        editing_services.track_add_from_upload(
            release=band.release, path=empty, filename="empty.flac"
        )
    assert not Track.objects.exists()


@pytest.mark.django_db
def test_tracks_reorder_reverses_a_long_tracklist(band: Band) -> None:
    tracks = [TrackFactory(release=band.release, position=i) for i in range(1, 13)]
    editing_services.tracks_reorder(
        release=band.release, track_ids=[t.pk for t in reversed(tracks)]
    )
    positions = dict(Track.objects.values_list("pk", "position"))
    assert [positions[t.pk] for t in tracks] == list(range(12, 0, -1))


@pytest.mark.django_db
def test_release_visibility_transitions(band: Band) -> None:
    from datetime import timedelta

    from django.utils import timezone

    release = band.release
    editing_services.release_schedule(release=release, at=timezone.now() - timedelta(minutes=1))
    assert release.visibility == Release.Visibility.SCHEDULED and release.is_public
    editing_services.release_unlist(release=release)
    release.refresh_from_db()
    assert release.visibility == Release.Visibility.UNLISTED and release.publish_at is None
    editing_services.release_publish(release=release)
    assert release.release_date is not None
    editing_services.release_draft(release=release)
    release.refresh_from_db()
    assert release.visibility == Release.Visibility.DRAFT and not release.is_public
