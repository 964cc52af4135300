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

from disquaire.audio.errors import AudioError
from disquaire.audio.ffmpeg import ffmpeg_input, start_ffmpeg

__all__ = ["WAVEFORM_RATE", "Analysis", "analyse", "fold_peaks"]

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
    """
    if buckets <= 0:
        raise ValueError("buckets must be positive")
    src = Path(src)
    if duration_s is None:
        from disquaire.audio.probe import probe

        duration_s = probe(src).duration_s
    block = _block_size(duration_s, buckets)
    graph = (
        "[0:a:0]asplit=2[loud][wave];"
        "[loud]ebur128=peak=true:framelog=quiet,anullsink;"
        f"[wave]aresample={WAVEFORM_RATE},"
        "aformat=sample_fmts=s16:channel_layouts=mono[out]"
    )
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
    blocks: array[int] = array("l")
    total = 0
    carry = b""
    block_bytes = 2 * block
    swap = sys.byteorder == "big"
    with start_ffmpeg(args, what="analysing audio", loglevel="info") as proc:
        while True:
            chunk = proc.stdout.read(CHUNK_BYTES)
            if not chunk:
                break
            data = carry + chunk
            usable = len(data) - len(data) % block_bytes
            carry = data[usable:]
            total += _reduce(data[:usable], block, blocks, swap=swap)
        if len(carry) >= 2:
            total += _reduce(carry[: len(carry) - len(carry) % 2], block, blocks, swap=swap)
        proc.wait(timeout=timeout)
    if total == 0:
        raise AudioError("no audio could be decoded")
    summary = "\n".join(proc.stderr_tail())
    lufs = _parse_float(_LUFS_RE, summary)
    peak = _parse_float(_PEAK_RE, summary)
    return Analysis(
        duration_s=round(total / WAVEFORM_RATE, 3),
        peaks=fold_peaks(blocks, buckets=buckets),
        integrated_lufs=lufs if lufs is not None and lufs > SILENCE_LUFS else None,
        true_peak_db=peak,
        loudness_range_lu=_parse_float(_LRA_RE, summary),
    )


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
