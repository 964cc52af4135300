"""transcode_and_analyse(): the renditions, loudness, true peak, peaks and the truncation
check of a master, all from one decode — and the same figures as the separate passes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from disquaire.audio import (
    ENCODED_FORMATS,
    FORMATS,
    AudioError,
    AudioRejected,
    analyse,
    probe,
    synth_track,
    transcode_and_analyse,
)
from disquaire.audio.analysis import Analysis
from disquaire.audio.single_pass import single_pass_args

if TYPE_CHECKING:
    from conftest import Transcoded  # the fixture's type, for readers and IDEs


SinglePass = tuple[Analysis, dict[str, Path], list[float]]
"""What one transcode_and_analyse run of the hi-res master gave: analysis, files, progress."""


def _outputs(folder: Path, keys: list[str] | None = None) -> dict[str, Path]:
    keys = keys or [fmt.key for fmt in ENCODED_FORMATS]
    return {key: folder / f"sp-{key}{FORMATS[key].extension}" for key in keys}


@pytest.fixture(scope="module")
def single_pass(transcoded: Transcoded, tmp_path_factory: pytest.TempPathFactory) -> SinglePass:
    outputs = _outputs(tmp_path_factory.mktemp("single-pass"))
    progress: list[float] = []
    analysis = transcode_and_analyse(
        src=transcoded.master,
        info=transcoded.info,
        outputs=outputs,
        on_progress=progress.append,
    )
    return analysis, outputs, progress


def test_loudness_true_peak_and_peaks_match_the_separate_analysis(
    transcoded: Transcoded, single_pass: SinglePass
) -> None:
    together, _, _ = single_pass
    alone = analyse(src=transcoded.master, duration_s=transcoded.info.duration_s)
    assert together.integrated_lufs is not None and alone.integrated_lufs is not None
    assert together.integrated_lufs == pytest.approx(alone.integrated_lufs, abs=0.1)
    assert together.true_peak_db is not None and alone.true_peak_db is not None
    assert together.true_peak_db == pytest.approx(alone.true_peak_db, abs=0.1)
    assert together.loudness_range_lu == pytest.approx(alone.loudness_range_lu, abs=0.2)
    assert together.duration_s == pytest.approx(alone.duration_s, abs=0.01)
    assert len(together.peaks) == len(alone.peaks) == 1000
    assert max(abs(a - b) for a, b in zip(together.peaks, alone.peaks, strict=True)) <= 0.01
    assert max(together.peaks) > 0.2


def test_files_are_the_ones_transcode_makes(
    transcoded: Transcoded, single_pass: SinglePass
) -> None:
    _, outputs, _ = single_pass
    assert set(outputs) == set(transcoded.outputs)
    for key, path in outputs.items():
        ours, theirs = probe(path), probe(transcoded.outputs[key])
        assert (ours.codec, ours.sample_rate, ours.bit_depth, ours.channels) == (
            theirs.codec,
            theirs.sample_rate,
            theirs.bit_depth,
            theirs.channels,
        ), key
        assert ours.duration_s == pytest.approx(theirs.duration_s, abs=0.03), key
        assert ours.tags.title is None and not ours.has_cover, key  # tags come afterwards
    # Lossless files hold the very samples transcode() writes.
    assert outputs["wav"].read_bytes() == transcoded.outputs["wav"].read_bytes()


def test_progress_rises_as_ffmpeg_goes_and_ends_at_exactly_one(
    single_pass: SinglePass,
) -> None:
    _, _, progress = single_pass
    # Reported as the audio comes, not once a large buffer has filled: the worker's
    # heartbeat rides on it, and a slow encode must not look like a dead worker.
    assert len([p for p in progress if p < 0.5]) >= 3
    assert progress and progress[-1] == 1.0
    assert progress == sorted(progress) and progress.count(1.0) == 1
    assert all(0.0 <= p <= 1.0 for p in progress)


def test_the_master_is_decoded_once_for_every_output_and_the_analysis(
    transcoded: Transcoded, tmp_path: Path
) -> None:
    args = [str(a) for a in single_pass_args(
        src=transcoded.master, info=transcoded.info, outputs=_outputs(tmp_path)
    )]  # fmt: skip
    assert args.count("-i") == 1
    graph = args[args.index("-filter_complex") + 1]
    assert "ebur128=peak=true" in graph and args[-3:] == ["-f", "s16le", "pipe:1"]
    # Outputs needing the same conversion share it: 96 kHz -> 48 kHz float for MP3, AAC
    # and Vorbis, 48 kHz interleaved float for the two Opus, 24-bit for FLAC, WAV and
    # AIFF, planar 24-bit for ALAC; plus the waveform's own.
    assert graph.count("aresample=") == 5
    assert len(ENCODED_FORMATS) == args.count("-map") - 1


def test_a_truncated_master_is_rejected_with_its_reason_and_leaves_no_file(
    tmp_path: Path,
) -> None:
    whole = synth_track(path=tmp_path / "whole.flac", seconds=6, seed=5)
    cut = tmp_path / "cut.flac"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    info = probe(cut)  # the header still says 6 s
    outputs = _outputs(tmp_path, ["mp3-128", "flac", "opus-96"])
    outputs["original"] = tmp_path / "original.flac"

    reason = r"^truncated: decodes to 1\.\d s but its header says 6\.0 s$"
    with pytest.raises(AudioRejected, match=reason):
        transcode_and_analyse(src=cut, info=info, outputs=outputs)

    assert not any(path.exists() for path in outputs.values())


def test_an_undecodable_master_is_rejected_and_leaves_no_file(
    transcoded: Transcoded, tmp_path: Path
) -> None:
    bogus = tmp_path / "bogus.flac"
    bogus.write_bytes(b"fLaC" + b"\x00" * 4096)
    outputs = _outputs(tmp_path, ["flac", "mp3-128"])
    with pytest.raises(AudioRejected, match=r"^cannot be decoded \(.*Invalid data found"):
        transcode_and_analyse(src=bogus, info=transcoded.info, outputs=outputs)
    assert not any(path.exists() for path in outputs.values())


def test_a_missing_master_is_an_error_worth_another_attempt(
    transcoded: Transcoded, tmp_path: Path
) -> None:
    outputs = _outputs(tmp_path, ["mp3-128"])
    with pytest.raises(AudioError) as raised:
        transcode_and_analyse(src=tmp_path / "gone.flac", info=transcoded.info, outputs=outputs)
    assert not isinstance(raised.value, AudioRejected)
    assert not any(path.exists() for path in outputs.values())


def test_with_no_outputs_it_only_analyses_and_checks(tmp_path: Path) -> None:
    master = synth_track(path=tmp_path / "m.flac", seconds=2, seed=6)
    info = probe(master)
    result = transcode_and_analyse(src=master, info=info, outputs={}, buckets=50)
    assert len(result.peaks) == 50
    assert result.duration_s == pytest.approx(2.0, abs=0.01)
    assert result.integrated_lufs == pytest.approx(
        analyse(src=master, duration_s=info.duration_s).integrated_lufs, abs=0.1
    )


def test_the_original_is_copied_beside_the_encodes(lossy_master: Path, tmp_path: Path) -> None:
    info = probe(lossy_master)
    outputs = {"original": tmp_path / "orig.mp3", "opus-96": tmp_path / "s.opus"}
    transcode_and_analyse(src=lossy_master, info=info, outputs=outputs)
    assert outputs["original"].read_bytes() == lossy_master.read_bytes()
    assert probe(outputs["opus-96"]).codec == "opus"
