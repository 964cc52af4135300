"""Tags round-trip (every field and the cover) for every format key."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from disquaire.audio import (
    ENCODED_FORMATS,
    AudioError,
    TagSet,
    extract_embedded_cover,
    probe,
    read_tags,
    verify_decodes,
    write_tags,
)
from disquaire.audio.tags import TAG_FIELDS

if TYPE_CHECKING:
    from conftest import Transcoded  # the fixture's type, for readers and IDEs


def _full_tags(cover: bytes) -> TagSet:
    return TagSet(
        title="Première pluie — 雨",
        artist="Les Testeurs",
        album="Sous la Pluie",
        album_artist="Les Testeurs & Friends",
        track_number=3,
        track_total=12,
        disc_number=1,
        year=2024,
        isrc="FRZ032400001",
        comment="https://band.example/releases/sous-la-pluie/",
        cover_jpeg=cover,
    )


def _expected(tags: TagSet) -> dict[str, object]:
    fields = dataclasses.asdict(tags)
    fields["cover"] = fields.pop("cover_jpeg")
    return fields


@pytest.mark.parametrize("key", [fmt.key for fmt in ENCODED_FORMATS])
def test_every_tag_and_the_cover_round_trip_for_every_format(
    transcoded: Transcoded, tmp_path: Path, cover_jpeg: bytes, key: str
) -> None:
    path = tmp_path / transcoded.outputs[key].name
    shutil.copyfile(transcoded.outputs[key], path)
    tags = _full_tags(cover_jpeg)

    write_tags(path, format_key=key, tags=tags)

    assert read_tags(path) == _expected(tags)
    assert set(read_tags(path)) == {*TAG_FIELDS, "cover"}
    assert extract_embedded_cover(path) == cover_jpeg
    info = probe(path)
    assert info.has_cover and info.tags.title == tags.title and info.tags.year == 2024
    verify_decodes(path, expected_s=info.duration_s)  # tagging kept the audio intact


def test_the_original_accepts_tags_whatever_its_format(
    lossy_master: Path, tmp_path: Path, cover_jpeg: bytes
) -> None:
    path = tmp_path / "original.mp3"
    shutil.copyfile(lossy_master, path)
    tags = _full_tags(cover_jpeg)
    write_tags(path, format_key="original", tags=tags)
    assert read_tags(path) == _expected(tags)


@pytest.mark.parametrize("key", ["mp3-320", "flac", "aac-256", "opus-160", "wav"])
def test_writing_tags_replaces_the_previous_ones(
    transcoded: Transcoded, tmp_path: Path, cover_jpeg: bytes, key: str
) -> None:
    path = tmp_path / transcoded.outputs[key].name
    shutil.copyfile(transcoded.outputs[key], path)
    write_tags(path, format_key=key, tags=_full_tags(cover_jpeg))
    write_tags(path, format_key=key, tags=TagSet(title="Only this", track_number=2))
    expected = _expected(TagSet(title="Only this", track_number=2))
    assert read_tags(path) == expected


def test_writing_tags_for_the_wrong_format_is_refused(transcoded: Transcoded) -> None:
    with pytest.raises(AudioError, match="is FLAC, not MP3 320 kbps"):
        write_tags(transcoded.outputs["flac"], format_key="mp3-320", tags=TagSet(title="x"))


def test_untagged_file_reads_as_all_none(transcoded: Transcoded) -> None:
    assert read_tags(transcoded.outputs["vorbis-q6"]) == dict.fromkeys((*TAG_FIELDS, "cover"))
