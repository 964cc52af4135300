"""analyse(): waveform peaks and loudness in one decoding pass."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from disquaire.audio import analyse, probe, run_ffmpeg
from disquaire.audio.analysis import fold_peaks

if TYPE_CHECKING:
    from conftest import Transcoded  # the fixture's type, for readers and IDEs


def _render(path: Path, expression: str, seconds: float) -> Path:
    source = f"aevalsrc=exprs='{expression}':s=44100:d={seconds}"
    run_ffmpeg(["-y", "-f", "lavfi", "-i", source, "-c:a", "flac", "-sample_fmt", "s16", path])
    return path


@pytest.mark.parametrize("key", ["flac", "mp3-320", "opus-96"])
def test_analyse_gives_bucket_peaks_in_unit_range_plausible_loudness_and_duration(
    transcoded: Transcoded, key: str
) -> None:
    path = transcoded.outputs[key]
    result = analyse(src=path, buckets=1000)
    assert len(result.peaks) == 1000
    assert all(0.0 <= p <= 1.0 for p in result.peaks)
    assert all(p == round(p, 3) for p in result.peaks)
    assert max(result.peaks) > 0.2
    assert result.integrated_lufs is not None and -40 < result.integrated_lufs < 0
    assert result.true_peak_db is not None and result.true_peak_db < 0.5
    assert result.duration_s == pytest.approx(probe(path).duration_s, abs=0.1)
    assert result.duration_s == pytest.approx(2.0, abs=0.1)


def test_analyse_of_a_hires_master_with_a_duration_hint(transcoded: Transcoded) -> None:
    result = analyse(src=transcoded.master, buckets=37, duration_s=transcoded.info.duration_s)
    assert len(result.peaks) == 37
    assert result.duration_s == pytest.approx(transcoded.info.duration_s, abs=0.01)


def test_peaks_follow_the_signal(tmp_path: Path) -> None:
    path = _render(tmp_path / "half.flac", "if(lt(t,1),0,0.5*sin(2*PI*440*t))", 2.0)
    result = analyse(src=path, buckets=100)
    assert max(result.peaks[:48]) == 0.0
    assert min(result.peaks[52:]) == pytest.approx(0.5, abs=0.03)
    assert result.integrated_lufs is not None


def test_silence_has_zero_peaks_and_no_loudness(tmp_path: Path) -> None:
    path = _render(tmp_path / "silence.flac", "0", 1.5)
    result = analyse(src=path, buckets=10)
    assert result.peaks == [0.0] * 10
    assert result.integrated_lufs is None
    assert result.duration_s == pytest.approx(1.5, abs=0.01)


def test_full_scale_signal_peaks_at_one(tmp_path: Path) -> None:
    path = _render(tmp_path / "square.flac", "if(lt(mod(t*100,1),0.5),1,-1)", 1.0)
    assert max(analyse(src=path, buckets=20).peaks) >= 0.99


def test_fold_peaks_handles_fewer_blocks_than_buckets_and_no_blocks() -> None:
    assert fold_peaks([0, 32768], buckets=4) == [0.0, 0.0, 1.0, 1.0]
    assert fold_peaks([16384, 0, 0, 32767], buckets=2) == [0.5, 1.0]
    assert fold_peaks([], buckets=3) == [0.0, 0.0, 0.0]
