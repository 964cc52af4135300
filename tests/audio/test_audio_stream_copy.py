"""A lossless master already in a rendition's codec, rate and depth is copied into it, not
encoded again: the file decodes to the very samples the encode gave (ffmpeg's md5 of the
decoded audio), and anything needing a conversion is still encoded."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from disquaire.audio import (
    FORMATS,
    AudioRejected,
    probe,
    synth_track,
    transcode,
    transcode_and_analyse,
)
from disquaire.audio.ffmpeg import ffmpeg_command
from disquaire.audio.single_pass import single_pass_args
from disquaire.audio.transcode import stream_copied

LOSSLESS = ["flac", "alac", "wav", "aiff"]


def _decoded_md5(path: Path) -> str:
    """The MD5 of the decoded audio (ffmpeg's md5 muxer), whatever the container."""
    cmd = ffmpeg_command(["-i", path, "-map", "0:a:0", "-f", "md5", "-"])
    return subprocess.run(cmd, capture_output=True, check=True, text=True).stdout.strip()


def _outputs(folder: Path, prefix: str) -> dict[str, Path]:
    return {key: folder / f"{prefix}-{key}{FORMATS[key].extension}" for key in LOSSLESS}


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("cd.flac", {}),
        ("hires.flac", {"sample_rate": 96000, "bit_depth": 24}),
        ("cd.m4a", {"alac": True}),
    ],
)
def test_copied_renditions_decode_to_the_samples_the_encode_gives(
    tmp_path: Path, name: str, options: dict[str, object]
) -> None:
    master = synth_track(path=tmp_path / name, seconds=3, seed=11, **options)  # type: ignore[arg-type]
    info = probe(master)
    ours, encoded = _outputs(tmp_path, "ours"), _outputs(tmp_path, "encoded")
    transcode_and_analyse(src=master, info=info, outputs=ours)
    transcode(src=master, info=info, outputs=encoded)  # decodes and encodes every one

    copied = [key for key in LOSSLESS if stream_copied(FORMATS[key], info)]
    assert copied == (["alac"] if info.codec == "alac" else ["flac"])
    for key in LOSSLESS:
        assert _decoded_md5(ours[key]) == _decoded_md5(encoded[key]), key
        assert probe(ours[key]).bit_depth == probe(encoded[key]).bit_depth, key
    assert _decoded_md5(ours[copied[0]]) == _decoded_md5(master)


def test_a_rendition_needing_a_conversion_is_encoded_not_copied(tmp_path: Path) -> None:
    master = synth_track(path=tmp_path / "hires.flac", seconds=1, seed=3, bit_depth=24)
    info = probe(master)
    # CD-quality files from a 24-bit master: dithered to 16 bits, so encoded.
    assert not stream_copied(FORMATS["flac"], info, lossless_bit_depth=16)
    args = [str(a) for a in single_pass_args(
        src=master, info=info, outputs=_outputs(tmp_path, "cd"), lossless_bit_depth=16
    )]  # fmt: skip
    assert "copy" not in args
    # A lossy master is never copied into a lossless format (it gets none anyway).
    mp3 = probe(synth_track(path=tmp_path / "m.mp3", seconds=1, seed=3))
    assert not any(stream_copied(FORMATS[key], mp3) for key in LOSSLESS)


def test_a_truncated_flac_master_leaves_no_copied_file(tmp_path: Path) -> None:
    whole = synth_track(path=tmp_path / "whole.flac", seconds=4, seed=5)
    cut = tmp_path / "cut.flac"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    outputs = _outputs(tmp_path, "cut")
    with pytest.raises(AudioRejected, match=r"^truncated"):
        transcode_and_analyse(src=cut, info=probe(cut), outputs=outputs)
    assert not any(path.exists() for path in outputs.values())
