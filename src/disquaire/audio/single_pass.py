"""Everything a master yields, from one decode: renditions, loudness, peaks, and the check
that it decodes whole.

One ffmpeg process decodes the first audio stream once and splits it (``asplit``) into:

* one branch per distinct conversion chain (the lossy encoders sharing a rate and sample
  format share one conversion, split again after it), each feeding its encoders — the
  same filters and encoder options as ``transcode``, so the files are the same;
* beside the graph, a lossless rendition the master already is (a FLAC master's ``flac``,
  an ALAC master's ``alac``, at the same rate and depth) takes the master's frames as
  they are (``stream_copied``): the same decoded samples as an encode, without its CPU;
* ``ebur128`` with true peak (integrated loudness, loudness range, true peak), whose
  summary is read from stderr when ffmpeg exits;
* the 8 kHz 16-bit mono waveform stream on stdout, folded into peaks as it arrives. Its
  sample count is also the decoded duration: the truncation check (``check_decoded``)
  and the progress reports come from it, so no ``-progress`` stream is needed.

Decoding once instead of three times (a full-decode check at upload, an analysis pass,
the encode) is what puts a whole album's processing under the cost of bare ffmpeg making
the same files one process per format.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import cast

from disquaire.audio.analysis import (
    LOUDNESS_SINK,
    WAVEFORM_CHAIN,
    Analysis,
    PeakReader,
    analysis_result,
)
from disquaire.audio.errors import AudioError, AudioRejected
from disquaire.audio.ffmpeg import ffmpeg_input, start_ffmpeg
from disquaire.audio.formats import FORMATS, ORIGINAL, get_format
from disquaire.audio.probe import AudioInfo, check_decoded
from disquaire.audio.transcode import (
    _encoder_args,
    _output_chain,
    copy_args,
    outputs_removed_on_failure,
    stream_copied,
)

__all__ = ["single_pass_args", "transcode_and_analyse"]

PROGRESS_CHUNK_BYTES = 4096
"""What is read of the waveform stream at a time: 0.256 s of 8 kHz 16-bit audio."""

_INVALID_INPUT = "Invalid data found when processing input"
"""What ffmpeg says of a master it cannot decode at all (its AVERROR_INVALIDDATA)."""


def single_pass_args(
    *,
    src: Path,
    info: AudioInfo,
    outputs: Mapping[str, Path],
    threads: int = 0,
    lossless_bit_depth: int | None = None,
) -> list[str | os.PathLike[str]]:
    """ffmpeg's arguments for ``transcode_and_analyse`` (``original`` is skipped: it is a
    copy). The waveform stream goes to stdout, the loudness summary to the log."""
    made = {k: Path(p) for k, p in outputs.items() if not get_format(k).passthrough}
    copied = {
        k: p
        for k, p in made.items()
        if stream_copied(FORMATS[k], info, lossless_bit_depth=lossless_bit_depth)
    }
    encoded = {k: p for k, p in made.items() if k not in copied}
    chains: dict[str, list[str]] = {}
    for key in sorted(encoded, key=list(FORMATS).index):
        chain = _output_chain(FORMATS[key], info, lossless_bit_depth=lossless_bit_depth)
        chains.setdefault(chain, []).append(key)
    label = {key: f"o{index}" for index, key in enumerate(encoded)}
    branches = [f"b{index}" for index in range(len(chains))]
    graph = [f"[0:a:0]asplit={len(chains) + 2}" + "".join(f"[{b}]" for b in branches)]
    graph[0] += "[loud][wave]"
    for branch, (chain, keys) in zip(branches, chains.items(), strict=True):
        outs = "".join(f"[{label[key]}]" for key in keys)
        split = f",asplit={len(keys)}" if len(keys) > 1 else ""
        graph.append(f"[{branch}]{chain}{split}{outs}")
    graph.append(f"[loud]{LOUDNESS_SINK}")
    graph.append(f"[wave]{WAVEFORM_CHAIN}[waveform]")

    args: list[str | os.PathLike[str]] = ["-y"]
    if threads > 0:
        args += ["-threads", str(threads)]
    # The demuxer named and only local files read (ffmpeg_input), as for every input.
    args += [*ffmpeg_input(src, container=info.container), "-filter_complex", ";".join(graph)]
    for keys in chains.values():
        for key in keys:
            args += ["-map", f"[{label[key]}]"]
            args += _encoder_args(
                FORMATS[key], info, threads=threads, lossless_bit_depth=lossless_bit_depth
            )
            args.append(encoded[key])
    for key, path in copied.items():
        args += [*copy_args(FORMATS[key]), path]
    return [*args, "-map", "[waveform]", "-f", "s16le", "pipe:1"]


def transcode_and_analyse(
    *,
    src: Path,
    info: AudioInfo,
    outputs: Mapping[str, Path],
    buckets: int = 1000,
    threads: int = 0,
    on_progress: Callable[[float], None] | None = None,
    lossless_bit_depth: int | None = None,
    timeout: float | None = None,
) -> Analysis:
    """Make every file in ``outputs`` (format key -> path) from the master ``src``, and
    return its ``Analysis`` (peaks, loudness, true peak, decoded duration), decoding it
    once.

    As ``transcode``: the files are untagged, ``original`` is a copy of ``src``,
    ``on_progress`` gets increasing fractions ending with exactly 1.0 (an exception it
    raises kills ffmpeg and propagates), and on any failure the outputs are removed.
    ``outputs`` may be empty: then only the analysis and the check are made. Raises
    ``AudioRejected`` when ``src`` cannot be decoded, decodes to nothing or to less than
    90 % of the duration its header announces (truncated); ``AudioError`` when ffmpeg
    fails otherwise (a missing file, a full disk).
    """
    src = Path(src)
    for key in outputs:
        get_format(key)
    reader = PeakReader(duration_hint_s=info.duration_s, buckets=buckets)
    args = single_pass_args(
        src=src,
        info=info,
        outputs=outputs,
        threads=threads,
        lossless_bit_depth=lossless_bit_depth,
    )
    with outputs_removed_on_failure(outputs):
        last = 0.0
        with start_ffmpeg(args, what="transcoding", loglevel="info") as proc:
            # Fixed reads of a quarter of a second of waveform audio: progress (and the
            # track's heartbeat) follows ffmpeg closely even when it runs slowly, in a
            # tenth of the Python work of taking each small write as it comes (read1).
            stream = cast(io.BufferedReader, proc.stdout)
            while chunk := stream.read(PROGRESS_CHUNK_BYTES):
                reader.feed(chunk)
                if on_progress is not None and info.duration_s > 0:
                    fraction = min(1.0, reader.seconds / info.duration_s)
                    if last < fraction < 1.0:
                        last = fraction
                        on_progress(fraction)
            reader.finish()
            try:
                proc.wait(timeout=timeout)
            except AudioError as exc:
                if _INVALID_INPUT not in exc.reason:
                    raise  # a full disk or a killed ffmpeg: another attempt may do
                raise AudioRejected(f"cannot be decoded ({exc.reason})") from exc
        analysis = analysis_result(reader, proc.stderr_tail())
        check_decoded(decoded_s=analysis.duration_s, expected_s=info.duration_s)
        if ORIGINAL in outputs:
            shutil.copyfile(src, outputs[ORIGINAL])
    if on_progress is not None:
        on_progress(1.0)
    return analysis
