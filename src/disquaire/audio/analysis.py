"""Waveform peaks and loudness of a track, in one ffmpeg decoding pass.

The decoded audio is split (``asplit``): one branch goes through ``ebur128`` (integrated
loudness, loudness range and true peak, parsed from its summary on stderr), the other is
downmixed to mono at a low rate and streamed to Python as 16-bit samples, read in
fixed-size chunks and reduced to per-block maxima, so memory stays bounded even for an
hour-long 24-bit/96 kHz master. The blocks are folded into ``buckets`` peaks at the end.
"""

from __future__ import annotations

import os
import re
import sys
from array import array
from dataclasses import dataclass
from pathlib import Path

from disquaire.audio.errors import AudioRejected
from disquaire.audio.ffmpeg import ffmpeg_input, start_ffmpeg

__all__ = [
    "LOUDNESS_SINK",
    "WAVEFORM_CHAIN",
    "WAVEFORM_RATE",
    "Analysis",
    "PeakReader",
    "analyse",
    "analysis_result",
    "fold_peaks",
]

WAVEFORM_RATE = 8000
"""Sample rate (Hz) of the mono signal the peaks are computed from."""
CHUNK_BYTES = 1 << 16
SILENCE_LUFS = -70.0
_FULL_SCALE = 32768.0
_BLOCKS_PER_BUCKET = 4

_LUFS_RE = re.compile(r"^\s*I:\s*(-?\d+(?:\.\d+)?|-inf|nan)\s*LUFS", re.MULTILINE)
_LRA_RE = re.compile(r"^\s*LRA:\s*(-?\d+(?:\.\d+)?)\s*LU\b", re.MULTILINE)
_PEAK_RE = re.compile(r"^\s*Peak:\s*(-?\d+(?:\.\d+)?|-inf)\s*dBFS", re.MULTILINE)


@dataclass(frozen=True)
class Analysis:
    """The result of ``analyse``.

    Attributes:
        duration_s: decoded duration in seconds.
        peaks: ``buckets`` values in 0..1 (max absolute sample of each slice of the
            track, mono mix, rounded to 3 decimals), for drawing the waveform.
        integrated_lufs: EBU R128 integrated loudness (None for silence or very short
            audio).
        true_peak_db: true peak in dBFS (None when unknown or silent).
        loudness_range_lu: EBU R128 loudness range in LU (None when unknown).
    """

    duration_s: float
    peaks: list[float]
    integrated_lufs: float | None
    true_peak_db: float | None = None
    loudness_range_lu: float | None = None


def fold_peaks(blocks: array[int] | list[int], *, buckets: int) -> list[float]:
    """Fold per-block maxima (16-bit magnitudes) into ``buckets`` values in 0..1.

    With fewer blocks than buckets, blocks are repeated (nearest neighbour).
    """
    n = len(blocks)
    if n == 0:
        return [0.0] * buckets
    peaks = []
    for i in range(buckets):
        lo = i * n // buckets
        hi = max(lo + 1, (i + 1) * n // buckets)
        peaks.append(round(min(1.0, max(blocks[lo:hi]) / _FULL_SCALE), 3))
    return peaks


def _parse_float(pattern: re.Pattern[str], text: str) -> float | None:
    matches = pattern.findall(text)
    if not matches:
        return None
    try:
        value = float(matches[-1])
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _block_size(duration_hint_s: float | None, buckets: int) -> int:
    """Samples per block: about 4 blocks per bucket, at most 10 ms."""
    if not duration_hint_s or duration_hint_s <= 0:
        return WAVEFORM_RATE // 100
    expected = int(duration_hint_s * WAVEFORM_RATE)
    return max(1, min(WAVEFORM_RATE // 100, expected // (buckets * _BLOCKS_PER_BUCKET)))


WAVEFORM_CHAIN = f"aresample={WAVEFORM_RATE},aformat=sample_fmts=s16:channel_layouts=mono"
"""The filters turning decoded audio into the stream the peaks are read from."""
LOUDNESS_SINK = "ebur128=peak=true:framelog=quiet,anullsink"
"""The loudness branch: measures, prints its summary on stderr at exit, passes nothing on."""


class PeakReader:
    """Folds the waveform stream (``WAVEFORM_CHAIN``'s 16-bit mono samples, read from
    ffmpeg in chunks of any size) into per-block maxima, in bounded memory."""

    def __init__(self, *, duration_hint_s: float | None, buckets: int) -> None:
        if buckets <= 0:
            raise ValueError("buckets must be positive")
        self.buckets = buckets
        self.block = _block_size(duration_hint_s, buckets)
        self.blocks: array[int] = array("l")
        self.samples = 0
        self._carry = b""
        self._swap = sys.byteorder == "big"

    @property
    def seconds(self) -> float:
        """How much audio has been read so far."""
        return self.samples / WAVEFORM_RATE

    def feed(self, chunk: bytes) -> None:
        data = self._carry + chunk
        block_bytes = 2 * self.block
        usable = len(data) - len(data) % block_bytes
        self._carry = data[usable:]
        self.samples += _reduce(data[:usable], self.block, self.blocks, swap=self._swap)

    def finish(self) -> None:
        """Take in the last partial block (call once the stream has ended)."""
        carry, self._carry = self._carry, b""
        if len(carry) >= 2:
            whole = carry[: len(carry) - len(carry) % 2]
            self.samples += _reduce(whole, self.block, self.blocks, swap=self._swap)

    def peaks(self) -> list[float]:
        return fold_peaks(self.blocks, buckets=self.buckets)


def analysis_result(reader: PeakReader, log_lines: list[str]) -> Analysis:
    """The ``Analysis`` of a finished pass: peaks from ``reader``, loudness parsed from the
    ffmpeg log lines holding ``ebur128``'s summary. ``AudioError`` if nothing decoded."""
    if reader.samples == 0:
        raise AudioRejected("no audio could be decoded")
    summary = "\n".join(log_lines)
    lufs = _parse_float(_LUFS_RE, summary)
    return Analysis(
        duration_s=round(reader.seconds, 3),
        peaks=reader.peaks(),
        integrated_lufs=lufs if lufs is not None and lufs > SILENCE_LUFS else None,
        true_peak_db=_parse_float(_PEAK_RE, summary),
        loudness_range_lu=_parse_float(_LRA_RE, summary),
    )


def analyse(
    *,
    src: Path,
    buckets: int = 1000,
    duration_s: float | None = None,
    timeout: float | None = None,
) -> Analysis:
    """Compute waveform peaks and loudness of ``src`` in one decoding pass.

    ``duration_s`` (e.g. ``probe(src).duration_s``) sizes the internal resolution; when
    omitted the file is probed. Raises ``AudioError`` if ffmpeg cannot decode the file.
    (``transcode_and_analyse`` gives the same figures while making renditions.)
    """
    if buckets <= 0:
        raise ValueError("buckets must be positive")
    src = Path(src)
    if duration_s is None:
        from disquaire.audio.probe import probe

        duration_s = probe(src).duration_s
    reader = PeakReader(duration_hint_s=duration_s, buckets=buckets)
    graph = f"[0:a:0]asplit=2[loud][wave];[loud]{LOUDNESS_SINK};[wave]{WAVEFORM_CHAIN}[out]"
    args: list[str | os.PathLike[str]] = [
        *ffmpeg_input(src),
        "-filter_complex",
        graph,
        "-map",
        "[out]",
        "-f",
        "s16le",
        "pipe:1",
    ]
    with start_ffmpeg(args, what="analysing audio", loglevel="info") as proc:
        while chunk := proc.stdout.read(CHUNK_BYTES):
            reader.feed(chunk)
        reader.finish()
        proc.wait(timeout=timeout)
    return analysis_result(reader, proc.stderr_tail())


def _reduce(data: bytes, block: int, blocks: array[int], *, swap: bool) -> int:
    """Append the max magnitude of each ``block`` samples of ``data``; return the count."""
    samples = array("h")
    samples.frombytes(data)
    if swap:
        samples.byteswap()
    for start in range(0, len(samples), block):
        segment = samples[start : start + block]
        blocks.append(max(max(segment), -min(segment)))
    return len(samples)
