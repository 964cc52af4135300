from __future__ import annotations

from pathlib import Path

import pytest

from disquaire.audio import TagSet, synth_cover, synth_track, write_tags

ALBUM = "Sous la Pluie"
ARTIST = "Les Testeurs"


def make_track(
    path: Path, *, title: str | None, number: int | None, total: int = 3, seconds: float = 2.0,
    seed: int = 0, album: str = ALBUM, isrc: str | None = None, **synth: object,
) -> Path:  # fmt: skip
    synth_track(path=path, seconds=seconds, seed=seed, **synth)  # type: ignore[arg-type]
    write_tags(
        path,
        format_key=_format_key(path),
        tags=TagSet(
            title=title,
            artist=ARTIST,
            album=album,
            album_artist=ARTIST,
            track_number=number,
            track_total=total,
            year=2024,
            isrc=isrc,
        ),
    )
    return path


def _format_key(path: Path) -> str:
    return {".flac": "flac", ".mp3": "mp3-320", ".wav": "wav", ".ogg": "vorbis-q6"}[
        path.suffix.lower()
    ]


@pytest.fixture
def album_dir(tmp_path: Path) -> Path:
    """Three tagged 2-second FLAC tracks (named out of order) and a cover.jpg."""
    folder = tmp_path / "album"
    folder.mkdir()
    make_track(folder / "b.flac", title="Première", number=1, seed=1, isrc="FR-Z03-24-00001")
    make_track(folder / "a.flac", title="Deuxième", number=2, seed=2)
    make_track(folder / "c.flac", title="Troisième", number=3, seed=3)
    synth_cover(title=ALBUM, seed=5, size=600, path=folder / "cover.jpg")
    return folder
