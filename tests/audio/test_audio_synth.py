"""synth_track() and synth_cover(): fast, deterministic, seed-dependent generated material."""

from __future__ import annotations

import io
import resource
import statistics
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from disquaire.audio import AudioError, analyse, ffmpeg_exe, probe, synth_cover, synth_track


def _pcm(path: Path) -> bytes:
    return subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    ).stdout


def test_synth_track_is_deterministic_and_varies_with_the_seed(tmp_path: Path) -> None:
    a = _pcm(synth_track(path=tmp_path / "a.wav", seconds=1.0, seed=1))
    again = _pcm(synth_track(path=tmp_path / "again.wav", seconds=1.0, seed=1))
    b = _pcm(synth_track(path=tmp_path / "b.wav", seconds=1.0, seed=2))
    assert a == again
    assert a != b


def test_synth_track_sounds_like_music_not_a_steady_tone(tmp_path: Path) -> None:
    path = synth_track(path=tmp_path / "m.flac", seconds=3.0, seed=5)
    result = analyse(src=path, buckets=60)
    assert result.integrated_lufs is not None and -30 < result.integrated_lufs < -8
    assert max(result.peaks) < 1.0  # no clipping
    assert statistics.pstdev(result.peaks) > 0.03  # notes and beats, not a flat sine


def _cpu_seconds() -> float:
    """User + system time of this process and its finished children."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def test_synth_track_of_3_seconds_is_cheap(tmp_path: Path) -> None:
    # CPU seconds, not wall time: a busy machine slows the clock, not the work.
    start = _cpu_seconds()
    synth_track(path=tmp_path / "fast.flac", seconds=3.0, seed=9)
    assert _cpu_seconds() - start < 1.5


def test_synth_track_honours_rate_depth_and_codec_arguments(tmp_path: Path) -> None:
    hires = probe(
        synth_track(path=tmp_path / "h.aiff", seconds=0.3, sample_rate=88200, bit_depth=24)
    )
    assert (hires.sample_rate, hires.bit_depth) == (88200, 24)
    mp3 = synth_track(
        path=tmp_path / "x.mp3", seconds=0.5, sample_rate=96000,
        codec_args=["-c:a", "libmp3lame", "-b:a", "96k"],
    )  # fmt: skip
    info = probe(mp3)
    assert (info.sample_rate, info.bitrate_kbps) == (48000, 96)


def test_synth_track_rejects_unknown_extensions(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="unsupported extension"):
        synth_track(path=tmp_path / "x.wma", seconds=1.0)


def test_synth_cover_is_a_jpeg_of_the_requested_size_varying_with_the_seed(
    tmp_path: Path,
) -> None:
    one = synth_cover(title="Sous la Pluie", seed=1, size=400, path=tmp_path / "c.jpg")
    img = Image.open(io.BytesIO(one))
    assert img.format == "JPEG" and img.size == (400, 400) and img.mode == "RGB"
    assert (tmp_path / "c.jpg").read_bytes() == one
    assert synth_cover(title="Sous la Pluie", seed=1, size=400) == one
    assert synth_cover(title="Sous la Pluie", seed=2, size=400) != one
