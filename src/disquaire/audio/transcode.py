"""Deciding which files to make from a master, and making them in one ffmpeg run.

Policy (``plan``):

* A lossless master (FLAC, WAV, AIFF, ALAC) yields every streaming and download format.
* A lossy master is never "dressed up": no lossless format, and no lossy format whose
  nominal bitrate is above the master's (with a 3 % tolerance, since a CBR encode's
  measured bitrate wobbles around its nominal one), plus ``original`` (the master as
  uploaded). When ``mp3-128`` cannot be made (master below 128 kbps), the player's
  universal stream is the ``original`` file instead: see ``streaming_keys``.

Signal path (``build_command``), the source being decoded once for all outputs:

* Lossless outputs keep the master's sample rate and depth (16-bit stays 16-bit; 24-bit
  becomes ``s32`` with ``bits_per_raw_sample 24`` for FLAC/ALAC, ``pcm_s24le`` for WAV and
  ``pcm_s24be`` for AIFF; deeper masters, e.g. 32-bit float WAV, are stored as 24-bit).
  ``lossless_bit_depth=16`` caps them (CD-quality files), with triangular dither.
* Lossy encoders are fed float samples (so no dither is needed) at a rate they handle:
  Opus always 48 kHz; MP3, AAC and Vorbis at most 48 kHz (96 kHz becomes 48 kHz, 88.2 kHz
  becomes 44.1 kHz), resampled with high-precision soxr. More than two channels are
  downmixed to stereo.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from disquaire.audio.errors import AudioError
from disquaire.audio.ffmpeg import (
    ffmpeg_command,
    ffmpeg_input,
    iter_progress,
    progress_seconds,
    start_ffmpeg,
)
from disquaire.audio.formats import (
    ENCODED_FORMATS,
    FORMATS,
    ORIGINAL,
    STREAMING_FORMATS,
    Format,
    get_format,
)
from disquaire.audio.probe import AudioInfo

__all__ = [
    "BITRATE_TOLERANCE",
    "OutputSpec",
    "build_command",
    "output_spec",
    "plan",
    "stream_copied",
    "streaming_keys",
    "transcode",
]

BITRATE_TOLERANCE = 1.03
"""A lossy format is made from a lossy master when nominal <= master bitrate x this."""

SOXR = "resampler=soxr:precision=28"
DITHER = "dither_method=triangular"
_STANDARD_RATES = (32000, 44100, 48000)

# Sample formats per lossless codec, by output depth.
_LOSSLESS_SAMPLE_FMT = {
    "flac": {16: "s16", 24: "s32"},
    "alac": {16: "s16p", 24: "s32p"},
    "wav": {16: "s16", 24: "s32"},
    "aiff": {16: "s16", 24: "s32"},
}
_PCM_CODEC = {
    "wav": {16: "pcm_s16le", 24: "pcm_s24le"},
    "aiff": {16: "pcm_s16be", 24: "pcm_s24be"},
}


def plan(info: AudioInfo) -> list[str]:
    """The format keys to make from a master described by ``info``, in table order.

    Lossless master: every streaming and download format (not ``original``). Lossy
    master: the lossy formats whose nominal bitrate does not exceed the master's (see
    ``BITRATE_TOLERANCE``), then ``original``.
    """
    if info.lossless:
        return [fmt.key for fmt in ENCODED_FORMATS]
    ceiling = info.bitrate_kbps * BITRATE_TOLERANCE
    keys = [
        fmt.key
        for fmt in ENCODED_FORMATS
        if not fmt.lossless and fmt.nominal_kbps is not None and fmt.nominal_kbps <= ceiling
    ]
    return [*keys, ORIGINAL]


def streaming_keys(planned: list[str]) -> list[str]:
    """The files the web player uses, given ``plan()``'s keys, in preference order.

    Normally ``["mp3-128", "opus-96"]``. The first entry is the universally playable
    stream: when ``mp3-128`` is not made (a lossy master under 128 kbps) it is
    ``original`` (the master itself), followed by ``opus-96`` if that was made.
    """
    keys = [fmt.key for fmt in STREAMING_FORMATS if fmt.key in planned]
    if STREAMING_FORMATS[0].key not in keys and ORIGINAL in planned:
        keys.insert(0, ORIGINAL)
    return keys


@dataclass(frozen=True)
class OutputSpec:
    """What an output will hold: sample rate, depth (None: float/lossy) and channels."""

    sample_rate: int
    bit_depth: int | None
    channels: int


def _lossy_rate(fmt: Format, master_rate: int) -> int:
    if fmt.fixed_sample_rate:
        return fmt.fixed_sample_rate
    cap = fmt.max_sample_rate or 48000
    if master_rate in _STANDARD_RATES and master_rate <= cap:
        return master_rate
    return 44100 if master_rate % 11025 == 0 else 48000


def output_spec(
    format_key: str, info: AudioInfo, *, lossless_bit_depth: int | None = None
) -> OutputSpec:
    """The sample rate, depth and channel count ``format_key`` gets from this master."""
    fmt = get_format(format_key)
    if fmt.passthrough:
        return OutputSpec(info.sample_rate, info.bit_depth, info.channels)
    if not fmt.lossless:
        return OutputSpec(_lossy_rate(fmt, info.sample_rate), None, min(info.channels, 2))
    depth = 16 if (info.bit_depth or 16) <= 16 else 24
    if lossless_bit_depth is not None:
        depth = min(depth, lossless_bit_depth)
    return OutputSpec(info.sample_rate, depth, info.channels)


_COPYABLE_CODECS = ("flac", "alac")
"""Lossless codecs whose encode costs enough to be worth copying the master's frames."""


def stream_copied(fmt: Format, info: AudioInfo, *, lossless_bit_depth: int | None = None) -> bool:
    """Whether ``fmt``'s file can be the master's own frames, copied: a FLAC (ALAC) master
    for the ``flac`` (``alac``) format, at the rate, depth and channels the format would
    give it anyway. Its decoded audio is then the master's, sample for sample: what
    decoding and encoding it again (lossless) would give, without the encoder's CPU."""
    if not fmt.lossless or fmt.codec not in _COPYABLE_CODECS or fmt.codec != info.codec:
        return False
    spec = output_spec(fmt.key, info, lossless_bit_depth=lossless_bit_depth)
    return (spec.sample_rate, spec.bit_depth, spec.channels) == (
        info.sample_rate,
        info.bit_depth,
        info.channels,
    )


def copy_args(fmt: Format) -> list[str]:
    """The output options copying the master's audio stream into ``fmt``'s container
    (its muxer flags kept, no metadata: tags come afterwards)."""
    codec_args = list(fmt.codec_args)
    codec_args[codec_args.index("-c:a") + 1] = "copy"
    return [
        "-map",
        "0:a:0",
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        *codec_args,
        "-f",
        fmt.muxer,
    ]


def _output_chain(fmt: Format, info: AudioInfo, *, lossless_bit_depth: int | None) -> str:
    """The filters between the decoded master and ``fmt``'s encoder."""
    spec = output_spec(fmt.key, info, lossless_bit_depth=lossless_bit_depth)
    resample = [f"osr={spec.sample_rate}"]
    if spec.sample_rate != info.sample_rate:
        resample.append(SOXR)
    if spec.bit_depth is None:
        sample_fmt = "flt" if fmt.codec == "opus" else "fltp"
    else:
        sample_fmt = _LOSSLESS_SAMPLE_FMT[fmt.key][spec.bit_depth]
        if spec.bit_depth == 16 and (info.bit_depth or 16) > 16:
            resample.append(DITHER)
    resample.append(f"osf={sample_fmt}")
    aformat = f"aformat=sample_fmts={sample_fmt}:sample_rates={spec.sample_rate}"
    if spec.channels < info.channels:
        aformat += ":channel_layouts=stereo"
    return f"aresample={':'.join(resample)},{aformat}"


def _encoder_args(
    fmt: Format, info: AudioInfo, *, threads: int, lossless_bit_depth: int | None
) -> list[str]:
    """The encoder and muxer options of ``fmt`` (no input mapping, no filters)."""
    spec = output_spec(fmt.key, info, lossless_bit_depth=lossless_bit_depth)
    if spec.bit_depth is None:
        codec_args = list(fmt.codec_args)
    else:
        if fmt.key in _PCM_CODEC:
            codec_args = ["-c:a", _PCM_CODEC[fmt.key][spec.bit_depth], *fmt.codec_args]
        else:
            codec_args = list(fmt.codec_args)
        if spec.bit_depth == 24:
            codec_args += ["-bits_per_raw_sample", "24"]
    args = ["-map_metadata", "-1", "-map_chapters", "-1", *codec_args]
    if threads > 0:
        args += ["-threads", str(threads)]
    return [*args, "-f", fmt.muxer]


def _output_args(
    fmt: Format, info: AudioInfo, *, threads: int, lossless_bit_depth: int | None
) -> list[str]:
    chain = _output_chain(fmt, info, lossless_bit_depth=lossless_bit_depth)
    return [
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-dn",
        "-af",
        chain,
        *_encoder_args(fmt, info, threads=threads, lossless_bit_depth=lossless_bit_depth),
    ]


def _transcode_args(
    *,
    src: Path,
    info: AudioInfo,
    outputs: Mapping[str, Path],
    threads: int,
    progress: bool,
    lossless_bit_depth: int | None,
) -> list[str | os.PathLike[str]]:
    encoded = {key: path for key, path in outputs.items() if not get_format(key).passthrough}
    if not encoded:
        raise AudioError("nothing to transcode")
    args: list[str | os.PathLike[str]] = ["-y"]
    if progress:
        args += ["-progress", "pipe:1"]
    if threads > 0:
        args += ["-threads", str(threads)]
    args += ffmpeg_input(src, container=info.container)
    for key in sorted(encoded, key=list(FORMATS).index):
        fmt = FORMATS[key]
        args += _output_args(fmt, info, threads=threads, lossless_bit_depth=lossless_bit_depth)
        args.append(encoded[key])
    return args


def build_command(
    *,
    src: Path,
    info: AudioInfo,
    outputs: Mapping[str, Path],
    threads: int = 0,
    progress: bool = True,
    lossless_bit_depth: int | None = None,
) -> list[str]:
    """The complete ffmpeg command line making every encoded output in ``outputs``.

    ``outputs`` maps format keys to destination paths (``original`` is skipped: it is a
    copy, see ``transcode``). The source is decoded once; each output maps the first
    audio stream only (no cover/video streams, no metadata: tags come afterwards).
    """
    return ffmpeg_command(
        _transcode_args(
            src=src,
            info=info,
            outputs=outputs,
            threads=threads,
            progress=progress,
            lossless_bit_depth=lossless_bit_depth,
        )
    )


def transcode(
    *,
    src: Path,
    info: AudioInfo,
    outputs: Mapping[str, Path],
    threads: int = 0,
    on_progress: Callable[[float], None] | None = None,
    lossless_bit_depth: int | None = None,
) -> None:
    """Make every file in ``outputs`` (format key -> path) from the master ``src``.

    One ffmpeg process decodes ``src`` once and writes all encoded outputs; ``original``
    is a plain (streamed) copy of ``src``. ``on_progress`` receives increasing fractions
    from 0 to 1 (the last call is exactly 1.0). Files are untagged: use
    ``tags.write_tags`` afterwards. On failure the outputs are removed and ``AudioError``
    is raised; an exception raised by ``on_progress`` kills ffmpeg, removes the outputs
    and propagates (a way to cancel). ``threads`` (0: ffmpeg's choice) is passed to the
    decoder and to each encoder.
    """
    src = Path(src)
    for key in outputs:
        get_format(key)
    encoded = {k: Path(p) for k, p in outputs.items() if not FORMATS[k].passthrough}
    with outputs_removed_on_failure(outputs):
        if encoded:
            args = _transcode_args(
                src=src,
                info=info,
                outputs=encoded,
                threads=threads,
                progress=True,
                lossless_bit_depth=lossless_bit_depth,
            )
            _run(args, duration_s=info.duration_s, on_progress=on_progress)
        if ORIGINAL in outputs:
            shutil.copyfile(src, outputs[ORIGINAL])
    if on_progress is not None:
        on_progress(1.0)


@contextlib.contextmanager
def outputs_removed_on_failure(outputs: Mapping[str, Path]) -> Iterator[None]:
    """Whatever goes wrong inside (ffmpeg, a full disk, a cancelling ``on_progress``),
    no half-written output stays behind: each is removed and the error propagates."""
    try:
        yield
    except BaseException:
        for path in outputs.values():
            with contextlib.suppress(OSError):
                Path(path).unlink()
        raise


def _run(
    args: list[str | os.PathLike[str]],
    *,
    duration_s: float,
    on_progress: Callable[[float], None] | None,
) -> None:
    last = 0.0
    with start_ffmpeg(args, what="transcoding") as proc:
        for block in iter_progress(proc.stdout):
            position = progress_seconds(block)
            if position is None or duration_s <= 0:
                continue
            fraction = min(1.0, position / duration_s)
            if on_progress is not None and last < fraction < 1.0:
                last = fraction
                on_progress(fraction)
        proc.wait()
