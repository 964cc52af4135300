"""Probing uploaded audio: what it is, how long, at what rate/depth, with which tags.

There is no ffprobe: the file is sniffed from its first bytes, parsed with mutagen (the
header's view). A file whose header promises more than it holds (truncated, corrupt) is
caught by decoding it fully: ``verify_decodes`` does only that, and
``transcode_and_analyse`` does it in the same pass that makes the renditions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mutagen.flac import FLAC

from disquaire.audio._sniff import CONTAINERS, Kind, sniff
from disquaire.audio.errors import AudioError, AudioRejected
from disquaire.audio.ffmpeg import ffmpeg_input, iter_progress, progress_seconds, start_ffmpeg
from disquaire.audio.formats import original_extension
from disquaire.audio.tag_files import TEXT_FIELDS, open_audio
from disquaire.audio.tag_reading import read_file_tags

__all__ = [
    "DEFAULT_MAX_TAG_CHARS",
    "AudioInfo",
    "Tags",
    "check_decoded",
    "probe",
    "verify_decodes",
]

DEFAULT_MAX_TAG_CHARS = 2000
TRUNCATION_RATIO = 0.9
"""``verify_decodes`` rejects a file decoding to less than this share of its header."""


@dataclass(frozen=True)
class Tags:
    """Tags found in an uploaded file (every field optional)."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    album_artist: str | None = None
    track_number: int | None = None
    track_total: int | None = None
    disc_number: int | None = None
    year: int | None = None
    isrc: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class AudioInfo:
    """What ``probe`` learnt about an audio file.

    Attributes:
        container: ``flac``, ``wav``, ``aiff``, ``mp4``, ``mp3`` or ``ogg``.
        codec: ``flac``, ``wav``, ``aiff``, ``alac``, ``aac``, ``mp3``, ``vorbis`` or
            ``opus`` (``wav``/``aiff`` meaning PCM in that container).
        lossless: flac, wav, aiff and alac are.
        sample_rate: in Hz.
        bit_depth: bits per sample of a lossless file (None for lossy).
        channels: channel count.
        bitrate_kbps: average bitrate (for lossless, file size over duration).
        duration_s: duration according to the header (see ``verify_decodes``).
        tags: the tags found (free-text ones cut to ``max_tag_chars``).
        has_cover: an embedded picture was found.
        truncated_tags: names of the tags that were cut.
        size_bytes: the file's size.
    """

    container: str
    codec: str
    lossless: bool
    sample_rate: int
    bit_depth: int | None
    channels: int
    bitrate_kbps: int
    duration_s: float
    tags: Tags = field(default_factory=Tags)
    has_cover: bool = False
    truncated_tags: tuple[str, ...] = ()
    size_bytes: int = 0

    @property
    def extension(self) -> str:
        """The usual extension for this file (``.m4a`` for both AAC and ALAC)."""
        return original_extension(self.codec)

    @property
    def hires(self) -> bool:
        """Lossless with more than CD quality (rate above 48 kHz or depth above 16 bits)."""
        return self.lossless and (self.sample_rate > 48000 or (self.bit_depth or 0) > 16)


def _codec(kind: Kind, info: Any) -> str:
    if kind != "mp4":
        return kind
    name = str(getattr(info, "codec", "") or "")
    if name.startswith("mp4a.40."):
        return "aac"
    if name == "alac":
        return "alac"
    described = str(getattr(info, "codec_description", "") or name or "unknown")
    raise AudioError(f"unsupported audio codec in MP4/M4A file ({described})")


def _cut_tags(raw: dict[str, Any], max_chars: int) -> tuple[Tags, tuple[str, ...]]:
    values = {name: raw.get(name) for name in Tags.__dataclass_fields__}
    cut: list[str] = []
    for name in TEXT_FIELDS:
        value = values[name]
        if isinstance(value, str) and len(value) > max_chars:
            values[name] = value[:max_chars]
            cut.append(name)
    return Tags(**values), tuple(cut)


def probe(path: Path, *, max_tag_chars: int = DEFAULT_MAX_TAG_CHARS) -> AudioInfo:
    """Identify the audio file at ``path`` and read its header and tags.

    Supports FLAC, WAV, AIFF, ALAC and AAC in .m4a, MP3, Ogg Vorbis and Opus, judged by
    content (never by extension). Free-text tags longer than ``max_tag_chars`` are cut, and
    listed in ``truncated_tags``. Raises ``AudioError`` with a clear ``reason`` for an
    empty, non-audio, unsupported or unparseable file.

    This reads the header only: call ``verify_decodes`` to check the audio is all there.
    """
    path = Path(path)
    kind = sniff(path)
    f = open_audio(path, kind)
    info: Any = f.info
    codec = _codec(kind, info)
    lossless = codec in ("flac", "wav", "aiff", "alac")
    # Opus always decodes at 48 kHz (mutagen does not report a rate for it).
    sample_rate = 48000 if kind == "opus" else int(getattr(info, "sample_rate", 0) or 0)
    channels = int(getattr(info, "channels", 0) or 0)
    if sample_rate <= 0 or channels <= 0:
        raise AudioError("no audio stream found (sample rate or channel count is zero)")
    duration = float(getattr(info, "length", 0.0) or 0.0)
    if duration <= 0 and kind == "flac":
        duration = _decoded_seconds(path)  # FLAC streams may leave total_samples unset
    if duration <= 0:
        raise AudioError("contains no audio (duration is zero)")
    bit_depth = int(getattr(info, "bits_per_sample", 0) or 0) if lossless else 0
    if lossless and bit_depth <= 0:
        raise AudioError("unreadable header (bit depth is zero)")
    size = path.stat().st_size
    if lossless and kind in ("wav", "aiff"):
        bitrate = sample_rate * bit_depth * channels
    elif lossless or not getattr(info, "bitrate", 0):
        bitrate = int(size * 8 / duration)
    else:
        bitrate = int(info.bitrate)
    raw = read_file_tags(f, kind)
    tags, cut = _cut_tags(raw, max_tag_chars)
    has_cover = raw.get("cover") is not None or (isinstance(f, FLAC) and bool(f.pictures))
    return AudioInfo(
        container=CONTAINERS[kind][0],
        codec=codec,
        lossless=lossless,
        sample_rate=sample_rate,
        bit_depth=bit_depth or None,
        channels=channels,
        bitrate_kbps=round(bitrate / 1000),
        duration_s=duration,
        tags=tags,
        has_cover=has_cover,
        truncated_tags=cut,
        size_bytes=size,
    )


def _decoded_seconds(path: Path, *, timeout: float | None = None) -> float:
    """Decode the first audio stream fully (to ``-f null``) and return its duration."""
    args: list[str | os.PathLike[str]] = [
        *ffmpeg_input(path),
        "-map",
        "0:a:0",
        "-f",
        "null",
        "-progress",
        "pipe:1",
        "-",
    ]
    seconds = 0.0
    with start_ffmpeg(args, what="decoding", loglevel="error") as proc:
        for block in iter_progress(proc.stdout):
            position = progress_seconds(block)
            if position is not None:
                seconds = max(seconds, position)
        proc.wait(timeout=timeout)
    return seconds


def verify_decodes(path: Path, *, expected_s: float, timeout: float | None = None) -> float:
    """Decode ``path`` fully with ffmpeg and return the decoded duration in seconds.

    Raises ``AudioError`` when ffmpeg cannot decode the file, or when it decodes to less
    than 90 % of ``expected_s`` (the header's duration, from ``probe``) for files longer
    than a second: ``"truncated: decodes to 5.0 s but its header says 10.0 s"``.
    """
    decoded = _decoded_seconds(Path(path), timeout=timeout)
    check_decoded(decoded_s=decoded, expected_s=expected_s)
    return decoded


def check_decoded(*, decoded_s: float, expected_s: float) -> None:
    """Raise ``AudioRejected`` when a file decoded to less than 90 % of the duration its
    header announces (``expected_s``, from ``probe``), for files longer than a second."""
    if expected_s > 1.0 and decoded_s < TRUNCATION_RATIO * expected_s:
        raise AudioRejected(
            f"truncated: decodes to {decoded_s:.1f} s but its header says {expected_s:.1f} s"
        )
