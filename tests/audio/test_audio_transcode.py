"""transcode(): one ffmpeg run from a 24-bit/96 kHz master to every format, checked by probe."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from disquaire.audio import (
    ENCODED_FORMATS,
    FORMATS,
    AudioError,
    TagSet,
    ffmpeg_exe,
    probe,
    read_tags,
    synth_track,
    transcode,
    write_tags,
)

if TYPE_CHECKING:
    from conftest import Transcoded  # the fixture's type, for readers and IDEs

EXPECTED_RATE_DEPTH = {
    "mp3-128": (48000, None),
    "opus-96": (48000, None),
    "mp3-320": (48000, None),
    "mp3-v0": (48000, None),
    "aac-256": (48000, None),
    "vorbis-q6": (48000, None),
    "opus-160": (48000, None),
    "flac": (96000, 24),
    "alac": (96000, 24),
    "wav": (96000, 24),
    "aiff": (96000, 24),
}


def _decoded_md5(path: Path) -> str:
    """MD5 of the decoded samples, as 32-bit integers (ffmpeg's md5 muxer)."""
    done = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-i", str(path),
         "-map", "0:a:0", "-c:a", "pcm_s32le", "-f", "md5", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    return done.stdout.decode().strip()


@pytest.mark.parametrize("key", [fmt.key for fmt in ENCODED_FORMATS])
def test_hires_master_transcodes_to_every_format_at_the_specified_rate_and_depth(
    transcoded: Transcoded, key: str
) -> None:
    info = probe(transcoded.outputs[key])
    fmt = FORMATS[key]
    assert info.codec == fmt.codec
    assert info.lossless == fmt.lossless
    assert (info.sample_rate, info.bit_depth) == EXPECTED_RATE_DEPTH[key]
    assert info.channels == 2
    assert info.duration_s == pytest.approx(2.0, abs=0.1)
    assert not info.has_cover and info.tags.title is None  # tags come afterwards


@pytest.mark.parametrize(("key", "kbps"), [("mp3-320", 320), ("mp3-128", 128), ("aac-256", 256)])
def test_constant_bitrate_outputs_have_their_nominal_bitrate(
    transcoded: Transcoded, key: str, kbps: int
) -> None:
    assert probe(transcoded.outputs[key]).bitrate_kbps == pytest.approx(kbps, rel=0.1)


def test_lossless_outputs_decode_bit_identical_to_the_master(transcoded: Transcoded) -> None:
    reference = _decoded_md5(transcoded.master)
    for key in ("flac", "alac", "wav", "aiff"):
        assert _decoded_md5(transcoded.outputs[key]) == reference, key


def test_transcode_reports_increasing_progress_ending_at_one(transcoded: Transcoded) -> None:
    progress = transcoded.progress
    assert progress and progress[-1] == 1.0
    assert progress == sorted(progress)
    assert all(0.0 <= p <= 1.0 for p in progress)
    assert progress.count(1.0) == 1


def test_cd_quality_master_stays_16_bit_44100_in_lossless_and_mp3(tmp_path: Path) -> None:
    master = synth_track(path=tmp_path / "cd.wav", seconds=1.0, seed=4)
    info = probe(master)
    keys = ["flac", "wav", "alac", "mp3-128", "opus-96", "vorbis-q6"]
    outputs = {key: tmp_path / f"out-{key}{FORMATS[key].extension}" for key in keys}
    transcode(src=master, info=info, outputs=outputs, threads=1)
    got = {key: (probe(p).sample_rate, probe(p).bit_depth) for key, p in outputs.items()}
    assert got == {
        "flac": (44100, 16),
        "wav": (44100, 16),
        "alac": (44100, 16),
        "mp3-128": (44100, None),
        "opus-96": (48000, None),
        "vorbis-q6": (44100, None),
    }


def test_lossless_bit_depth_cap_makes_dithered_16_bit_files(
    transcoded: Transcoded, tmp_path: Path
) -> None:
    out = tmp_path / "cd.flac"
    transcode(
        src=transcoded.master, info=transcoded.info, outputs={"flac": out}, lossless_bit_depth=16
    )
    info = probe(out)
    assert (info.sample_rate, info.bit_depth) == (96000, 16)


def test_the_original_is_a_byte_for_byte_copy(lossy_master: Path, tmp_path: Path) -> None:
    info = probe(lossy_master)
    outputs = {"original": tmp_path / "orig.mp3", "opus-96": tmp_path / "s.opus"}
    transcode(src=lossy_master, info=info, outputs=outputs)
    assert outputs["original"].read_bytes() == lossy_master.read_bytes()
    assert probe(outputs["opus-96"]).codec == "opus"


def test_embedded_cover_of_the_master_is_not_carried_into_outputs(
    tmp_path: Path, cover_jpeg: bytes
) -> None:
    master = synth_track(path=tmp_path / "m.flac", seconds=1.0)
    write_tags(master, format_key="flac", tags=TagSet(title="Master", cover_jpeg=cover_jpeg))
    assert probe(master).has_cover
    outputs = {key: tmp_path / f"o-{key}{FORMATS[key].extension}" for key in ("mp3-320", "alac")}
    transcode(src=master, info=probe(master), outputs=outputs)
    for path in outputs.values():
        tags = read_tags(path)
        assert tags["cover"] is None and tags["title"] is None


def test_failed_transcode_raises_audio_error_and_leaves_no_outputs(
    transcoded: Transcoded, tmp_path: Path
) -> None:
    bogus = tmp_path / "bogus.flac"
    bogus.write_bytes(b"fLaC" + b"\x00" * 4096)
    outputs = {key: tmp_path / f"o-{key}{FORMATS[key].extension}" for key in ("flac", "mp3-128")}
    with pytest.raises(AudioError, match="transcoding failed"):
        transcode(src=bogus, info=transcoded.info, outputs=outputs)
    assert not any(path.exists() for path in outputs.values())
