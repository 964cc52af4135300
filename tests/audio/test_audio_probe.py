"""probe() and verify_decodes(): every supported input, and every kind of bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from disquaire.audio import AudioError, TagSet, probe, synth_track, verify_decodes, write_tags


@pytest.mark.parametrize(
    ("name", "synth", "expected"),
    [
        ("a.flac", {}, ("flac", "flac", True, 44100, 16)),
        ("a.flac", {"bit_depth": 24, "sample_rate": 48000}, ("flac", "flac", True, 48000, 24)),
        ("a.wav", {"bit_depth": 24}, ("wav", "wav", True, 44100, 24)),
        ("a.aiff", {}, ("aiff", "aiff", True, 44100, 16)),
        ("a.m4a", {"alac": True}, ("mp4", "alac", True, 44100, 16)),
        ("a.m4a", {}, ("mp4", "aac", False, 44100, None)),
        ("a.mp3", {}, ("mp3", "mp3", False, 44100, None)),
        ("a.ogg", {}, ("ogg", "vorbis", False, 44100, None)),
        ("a.opus", {}, ("ogg", "opus", False, 48000, None)),
    ],
)
def test_probe_identifies_every_supported_input(
    tmp_path: Path, name: str, synth: dict[str, object], expected: tuple[object, ...]
) -> None:
    path = synth_track(path=tmp_path / name, seconds=1.0, **synth)  # type: ignore[arg-type]
    info = probe(path)
    got = (info.container, info.codec, info.lossless, info.sample_rate, info.bit_depth)
    assert got == expected
    assert info.channels == 2
    assert info.duration_s == pytest.approx(1.0, abs=0.06)
    assert info.bitrate_kbps > 32
    assert info.size_bytes == path.stat().st_size
    assert verify_decodes(path, expected_s=info.duration_s) == pytest.approx(1.0, abs=0.06)


def test_probe_judges_by_content_not_by_extension(tmp_path: Path) -> None:
    path = synth_track(path=tmp_path / "a.ogg", seconds=0.5)
    renamed = tmp_path / "actually-vorbis.mp3"
    shutil.move(path, renamed)
    assert probe(renamed).codec == "vorbis"


def test_mono_file_reports_one_channel(tmp_path: Path) -> None:
    path = synth_track(path=tmp_path / "mono.flac", seconds=0.5, channels=1)
    assert probe(path).channels == 1


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "empty.flac"
    path.write_bytes(b"")
    with pytest.raises(AudioError) as caught:
        probe(path)
    assert caught.value.reason == "empty file"


def test_text_file_named_flac_is_rejected_as_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.flac"
    path.write_text("Track 1: intro\nTrack 2: the song — très bien\n" * 20, encoding="utf-8")
    with pytest.raises(AudioError) as caught:
        probe(path)
    assert caught.value.reason == "not an audio file (looks like text)"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not an audio file (looks like a PNG image)"),
        (b"PK\x03\x04" + b"\x00" * 64, "not an audio file (looks like a ZIP archive)"),
        (b"\x1aE\xdf\xa3" + b"\x00" * 64, "unsupported audio format (Matroska/WebM)"),
        (bytes(range(256)) * 4, "not a supported audio file (unrecognised content)"),
        (b"\x00" * 1000, "not an audio file (only zero bytes)"),
    ],
)
def test_unknown_or_unsupported_content_is_rejected(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "upload.mp3"
    path.write_bytes(content)
    with pytest.raises(AudioError) as caught:
        probe(path)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("content", "label"),
    [
        (b"fLaC" + b"\xff" * 200, "FLAC"),
        (b"RIFF\x10\x00\x00\x00WAVEjunk" + b"\x00" * 8, "WAV"),
        (b"\x00\x00\x00\x18ftypM4A " + b"\x00" * 40, "MP4/M4A"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x05hello" + b"\x01\x02" * 300, "MP3"),
    ],
)
def test_file_mutagen_cannot_parse_is_rejected_as_unreadable(
    tmp_path: Path, content: bytes, label: str
) -> None:
    path = tmp_path / "broken.bin"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=f"^unreadable {label} file"):
        probe(path)


@pytest.mark.parametrize("name", ["ten.flac", "ten.wav"])
def test_truncated_file_is_rejected_with_decoded_and_header_durations(
    tmp_path: Path, name: str
) -> None:
    full = synth_track(path=tmp_path / name, seconds=10.0, sample_rate=22050)
    data = full.read_bytes()
    cut = tmp_path / f"cut-{name}"
    cut.write_bytes(data[: len(data) // 2])

    info = probe(cut)
    assert info.duration_s == pytest.approx(10.0)  # the header still says 10 s
    with pytest.raises(AudioError) as caught:
        verify_decodes(cut, expected_s=info.duration_s)
    reason = caught.value.reason
    assert reason.startswith("truncated: decodes to ")
    assert reason.endswith(" s but its header says 10.0 s")
    decoded = float(reason.removeprefix("truncated: decodes to ").split(" s")[0])
    assert 4.0 < decoded < 6.0


def test_short_files_are_not_judged_truncated(tmp_path: Path) -> None:
    path = synth_track(path=tmp_path / "short.wav", seconds=0.5)
    assert verify_decodes(path, expected_s=0.9) == pytest.approx(0.5, abs=0.02)


def test_undecodable_audio_is_rejected_by_verify_decodes(tmp_path: Path) -> None:
    path = synth_track(path=tmp_path / "x.flac", seconds=2.0, sample_rate=22050)
    data = bytearray(path.read_bytes())
    data[8192:] = b"\x00" * (len(data) - 8192)  # valid header, frames wiped
    path.write_bytes(bytes(data))
    info = probe(path)
    with pytest.raises(AudioError, match=r"^(truncated|decoding failed)"):
        verify_decodes(path, expected_s=info.duration_s)


@pytest.mark.parametrize(("name", "key"), [("long.flac", "flac"), ("long.mp3", "mp3-320")])
def test_tags_of_100000_chars_are_cut_and_reported(tmp_path: Path, name: str, key: str) -> None:
    path = synth_track(path=tmp_path / name, seconds=0.5)
    huge = "é" * 100_000
    write_tags(path, format_key=key, tags=TagSet(title=huge, artist="Ok", comment=huge))

    info = probe(path)
    assert info.tags.title == "é" * 2000 and info.tags.comment == "é" * 2000
    assert info.tags.artist == "Ok"
    assert info.truncated_tags == ("title", "comment")

    strict = probe(path, max_tag_chars=10)
    assert strict.tags.title == "é" * 10
    assert set(strict.truncated_tags) == {"title", "comment"}


def test_probe_reads_the_tags_as_typed_fields(tmp_path: Path) -> None:
    path = synth_track(path=tmp_path / "t.ogg", seconds=0.5)
    write_tags(
        path,
        format_key="vorbis-q6",
        tags=TagSet(title="T", track_number=4, track_total=9, disc_number=2, year=1999),
    )
    tags = probe(path).tags
    assert (tags.title, tags.track_number, tags.track_total) == ("T", 4, 9)
    assert (tags.disc_number, tags.year, tags.isrc) == (2, 1999, None)
