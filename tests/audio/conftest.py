"""Fixtures for the audio toolkit tests: short generated masters and their transcodes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from disquaire.audio import (
    ENCODED_FORMATS,
    AudioInfo,
    probe,
    synth_cover,
    synth_track,
    transcode,
)

MASTER_SECONDS = 2.0


@dataclass(frozen=True)
class Transcoded:
    """A 24-bit/96 kHz master, its probe, every encoded output and the progress seen."""

    master: Path
    info: AudioInfo
    outputs: dict[str, Path]
    progress: list[float]


@pytest.fixture(scope="session")
def hires_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-second 24-bit/96 kHz FLAC master."""
    path = tmp_path_factory.mktemp("hires") / "master.flac"
    return synth_track(path=path, seconds=MASTER_SECONDS, seed=7, sample_rate=96000, bit_depth=24)


@pytest.fixture(scope="session")
def transcoded(hires_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Transcoded:
    """Every encoded format made from ``hires_master`` in one transcode run."""
    out = tmp_path_factory.mktemp("transcoded")
    info = probe(hires_master)
    outputs = {fmt.key: out / f"{fmt.key}{fmt.extension}" for fmt in ENCODED_FORMATS}
    progress: list[float] = []
    transcode(src=hires_master, info=info, outputs=outputs, on_progress=progress.append)
    return Transcoded(master=hires_master, info=info, outputs=outputs, progress=progress)


@pytest.fixture(scope="session")
def cover_jpeg() -> bytes:
    """A small generated JPEG cover."""
    return synth_cover(title="Test Cover", seed=3, size=320)


@pytest.fixture(scope="session")
def lossy_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-second 192 kbps MP3 master."""
    path = tmp_path_factory.mktemp("lossy") / "master.mp3"
    return synth_track(
        path=path, seconds=1.0, seed=2, codec_args=["-c:a", "libmp3lame", "-b:a", "192k"]
    )
