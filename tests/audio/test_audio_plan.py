"""plan() policy and build_command() arguments (nothing is run here but synth/probe)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from disquaire.audio import (
    ENCODED_FORMATS,
    FORMATS,
    AudioInfo,
    build_command,
    ffmpeg_exe,
    output_spec,
    plan,
    probe,
    streaming_keys,
    synth_track,
)

EVERY_ENCODE = [fmt.key for fmt in ENCODED_FORMATS]
LOSSY_FROM_320 = [
    "mp3-128",
    "opus-96",
    "mp3-320",
    "mp3-v0",
    "aac-256",
    "vorbis-q6",
    "opus-160",
    "original",
]


def _info(**changes: object) -> AudioInfo:
    base = AudioInfo(
        container="flac",
        codec="flac",
        lossless=True,
        sample_rate=96000,
        bit_depth=24,
        channels=2,
        bitrate_kbps=2500,
        duration_s=2.0,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _mp3_info(kbps: int) -> AudioInfo:
    return _info(
        container="mp3", codec="mp3", lossless=False, sample_rate=44100, bit_depth=None,
        bitrate_kbps=kbps,
    )  # fmt: skip


def _segment(cmd: list[str], output: Path) -> list[str]:
    """The arguments of one output: from after the previous output (or input) to it."""
    end = cmd.index(str(output))
    start = end
    while start > 0 and cmd[start - 1] != "-i" and not cmd[start - 1].startswith("/"):
        start -= 1
    return cmd[start:end]


def _outputs(tmp_path: Path, keys: list[str]) -> dict[str, Path]:
    return {key: tmp_path / f"{key}{FORMATS[key].extension}" for key in keys}


def test_plan_for_a_cd_quality_flac_makes_every_streaming_and_download_format(
    tmp_path: Path,
) -> None:
    master = synth_track(path=tmp_path / "cd.flac", seconds=1.0, seed=1)
    info = probe(master)
    assert (info.sample_rate, info.bit_depth) == (44100, 16)
    assert plan(info) == EVERY_ENCODE
    assert streaming_keys(plan(info)) == ["mp3-128", "opus-96"]


def test_plan_for_a_hires_flac_makes_every_format_too(hires_master: Path) -> None:
    info = probe(hires_master)
    assert (info.sample_rate, info.bit_depth, info.hires) == (96000, 24, True)
    assert plan(info) == EVERY_ENCODE
    assert "original" not in plan(info)


def test_plan_for_a_320_kbps_mp3_offers_lossy_formats_and_the_original_only(
    tmp_path: Path,
) -> None:
    master = synth_track(
        path=tmp_path / "320.mp3", seconds=1.0, codec_args=["-c:a", "libmp3lame", "-b:a", "320k"]
    )
    info = probe(master)
    assert info.bitrate_kbps == 320 and not info.lossless
    assert plan(info) == LOSSY_FROM_320


def test_plan_for_a_128_kbps_mp3_is_never_dressed_up(tmp_path: Path) -> None:
    master = synth_track(
        path=tmp_path / "128.mp3", seconds=1.0, codec_args=["-c:a", "libmp3lame", "-b:a", "128k"]
    )
    info = probe(master)
    assert info.bitrate_kbps == 128
    assert plan(info) == ["mp3-128", "opus-96", "original"]
    assert streaming_keys(plan(info)) == ["mp3-128", "opus-96"]


def test_master_below_128_kbps_streams_the_original_file() -> None:
    planned = plan(_mp3_info(112))
    assert planned == ["opus-96", "original"]
    assert streaming_keys(planned) == ["original", "opus-96"]
    assert streaming_keys(plan(_mp3_info(64))) == ["original"]


@pytest.mark.parametrize("kbps", [32, 96, 128, 160, 192, 224, 245, 256, 320, 500])
def test_no_planned_format_exceeds_a_lossy_masters_bitrate(kbps: int) -> None:
    planned = plan(_mp3_info(kbps))
    assert planned[-1] == "original"
    for key in planned[:-1]:
        fmt = FORMATS[key]
        assert not fmt.lossless
        assert fmt.nominal_kbps is not None and fmt.nominal_kbps <= kbps * 1.03


def test_build_command_decodes_once_and_maps_only_the_audio_of_each_output(
    tmp_path: Path,
) -> None:
    outputs = _outputs(tmp_path, EVERY_ENCODE)
    cmd = build_command(src=tmp_path / "in.flac", info=_info(), outputs=outputs)
    assert cmd[0] == ffmpeg_exe()
    assert cmd[1:3] == ["-nostdin", "-hide_banner"]
    assert cmd.count("-i") == 1
    assert cmd.count("-progress") == 1 and cmd[cmd.index("-progress") + 1] == "pipe:1"
    for key, path in outputs.items():
        seg = _segment(cmd, path)
        assert seg[:2] == ["-map", "0:a:0"], key
        assert "-vn" in seg
        assert seg[seg.index("-map_metadata") + 1] == "-1"
        assert seg[seg.index("-f") + 1] == FORMATS[key].muxer
        assert seg.count("-map") == 1
    assert all(isinstance(arg, str) for arg in cmd)


def _filters(cmd: list[str], output: Path) -> str:
    seg = _segment(cmd, output)
    return seg[seg.index("-af") + 1]


@pytest.mark.parametrize(
    ("master_rate", "key", "expected_rate"),
    [
        (96000, "mp3-320", 48000),
        (88200, "mp3-320", 44100),
        (176400, "mp3-v0", 44100),
        (192000, "aac-256", 48000),
        (96000, "vorbis-q6", 48000),
        (44100, "opus-160", 48000),
        (88200, "opus-96", 48000),
        (22050, "mp3-128", 44100),
    ],
)
def test_lossy_encoders_are_fed_a_rate_they_support_resampled_with_soxr(
    tmp_path: Path, master_rate: int, key: str, expected_rate: int
) -> None:
    out = tmp_path / f"x{FORMATS[key].extension}"
    cmd = build_command(
        src=tmp_path / "in.flac", info=_info(sample_rate=master_rate), outputs={key: out}
    )
    chain = _filters(cmd, out)
    assert f"osr={expected_rate}" in chain
    assert "resampler=soxr" in chain and "precision=28" in chain
    assert "osf=flt" in chain  # float input: no dither needed
    assert "dither" not in chain
    assert output_spec(key, _info(sample_rate=master_rate)).sample_rate == expected_rate


def test_lossy_encoders_at_44100_are_not_resampled(tmp_path: Path) -> None:
    out = tmp_path / "x.mp3"
    cmd = build_command(
        src=tmp_path / "in.flac", info=_info(sample_rate=44100), outputs={"mp3-320": out}
    )
    chain = _filters(cmd, out)
    assert "osr=44100" in chain and "soxr" not in chain


def test_lossless_outputs_of_a_24_bit_master_keep_rate_and_24_bits(tmp_path: Path) -> None:
    outputs = _outputs(tmp_path, ["flac", "alac", "wav", "aiff"])
    cmd = build_command(src=tmp_path / "in.flac", info=_info(), outputs=outputs)
    expected = {
        "flac": ("s32", ["-c:a", "flac"]),
        "alac": ("s32p", ["-c:a", "alac"]),
        "wav": ("s32", ["-c:a", "pcm_s24le"]),
        "aiff": ("s32", ["-c:a", "pcm_s24be"]),
    }
    for key, (sample_fmt, codec) in expected.items():
        seg = _segment(cmd, outputs[key])
        chain = seg[seg.index("-af") + 1]
        assert f"osf={sample_fmt}" in chain and "osr=96000" in chain, key
        assert "soxr" not in chain and "dither" not in chain, key
        start = seg.index("-c:a")
        assert seg[start : start + 2] == codec, key
        assert seg[seg.index("-bits_per_raw_sample") + 1] == "24", key


def test_lossless_outputs_of_a_16_bit_master_stay_16_bit(tmp_path: Path) -> None:
    outputs = _outputs(tmp_path, ["flac", "alac", "wav", "aiff"])
    info = _info(sample_rate=44100, bit_depth=16)
    cmd = build_command(src=tmp_path / "in.flac", info=info, outputs=outputs)
    assert "pcm_s16le" in _segment(cmd, outputs["wav"])
    assert "pcm_s16be" in _segment(cmd, outputs["aiff"])
    assert "osf=s16p" in _filters(cmd, outputs["alac"])
    for path in outputs.values():
        assert "-bits_per_raw_sample" not in _segment(cmd, path)
        assert "dither" not in _filters(cmd, path)


def test_depth_reduction_to_16_bit_is_dithered(tmp_path: Path) -> None:
    out = tmp_path / "cd.flac"
    cmd = build_command(
        src=tmp_path / "in.flac", info=_info(), outputs={"flac": out}, lossless_bit_depth=16
    )
    chain = _filters(cmd, out)
    assert "dither_method=triangular" in chain and "osf=s16" in chain


def test_multichannel_masters_are_downmixed_to_stereo_for_lossy_formats(tmp_path: Path) -> None:
    outputs = _outputs(tmp_path, ["mp3-320", "flac"])
    cmd = build_command(src=tmp_path / "in.wav", info=_info(channels=6), outputs=outputs)
    assert "channel_layouts=stereo" in _filters(cmd, outputs["mp3-320"])
    assert "channel_layouts" not in _filters(cmd, outputs["flac"])


def test_build_command_skips_the_original_and_passes_threads(tmp_path: Path) -> None:
    outputs = _outputs(tmp_path, ["mp3-128"]) | {"original": tmp_path / "orig.mp3"}
    cmd = build_command(src=tmp_path / "in.mp3", info=_mp3_info(320), outputs=outputs, threads=2)
    assert str(tmp_path / "orig.mp3") not in cmd
    assert cmd.count("-threads") == 2  # the decoder and the one encoder
