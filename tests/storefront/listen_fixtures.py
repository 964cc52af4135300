"""Helpers for the listening tests: real releases made of short generated audio."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from disquaire.catalog.models import ProcessingStatus, Release, Track
from disquaire.catalog.services import imports as import_services
from disquaire.catalog.services import processing as processing_services
from tests.catalog.conftest import make_track

ARTIST = "Les Écouteurs"
KEEP = frozenset({"mp3-128", "opus-96", "mp3-320"})


def processed_release(
    tmp_path: Path,
    *,
    tracks: int = 1,
    seconds: float = 2.0,
    suffix: str = ".flac",
    codec_args: list[str] | None = None,
    formats: frozenset[str] | None = KEEP,
    **release_fields: Any,
) -> Release:
    """A published release of ``tracks`` generated tracks, imported and processed for
    real by ffmpeg, with ``release_fields`` set afterwards.

    Only the planned renditions in ``formats`` are kept (None: all of them), to keep
    the tests quick; the planned rows of the others are dropped before processing.
    """
    folder = tmp_path / f"source-{len(list(tmp_path.glob('source-*')))}"
    folder.mkdir()
    for number in range(1, tracks + 1):
        extra: dict[str, Any] = {"codec_args": codec_args} if codec_args else {}
        make_track(
            folder / f"{number:02d} - Song {number}{suffix}",
            title=f"Song {number}",
            number=number,
            total=tracks,
            seconds=seconds,
            seed=number,
            album="Écoute",
            **extra,
        )
    result = import_services.release_import(artist_name=ARTIST, path=folder, publish=True)
    release = result.release
    assert release is not None
    for track in result.tracks:
        if formats is not None:
            track.renditions.exclude(format__in=formats).exclude(format="original").delete()
        processing_services.track_process(track_id=track.pk)
        track.refresh_from_db()
        assert track.status == ProcessingStatus.READY, track.error
    if release_fields:
        for field, value in release_fields.items():
            setattr(release, field, value)
        release.save()
    return release


def first_track(release: Release) -> Track:
    return Track.objects.select_related("release").get(release=release, position=1)
