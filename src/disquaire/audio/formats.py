"""The one table of every audio format Disquaire produces or offers.

Streaming formats feed the web player; download formats are what buyers choose from.
``original`` is a pseudo-format, in ``FORMATS`` but in neither list: the band's own lossy
master offered as is (only for lossy masters, which are never "dressed up" into lossless
or higher-bitrate files). It has no codec arguments (``passthrough=True``), no fixed
extension or MIME type (the master's own: see ``original_extension`` and
``original_mime``), and its tag kind depends on the master's codec (see
``tag_kind_for_codec``; ``write_tags`` accepts it for any supported file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "DOWNLOAD_FORMATS",
    "ENCODED_FORMATS",
    "FORMATS",
    "ORIGINAL",
    "STREAMING_FORMATS",
    "Format",
    "TagKind",
    "get_format",
    "original_extension",
    "original_mime",
    "tag_kind_for_codec",
]

TagKind = Literal["id3", "mp4", "vorbis", "flac", "wav", "aiff"]

ORIGINAL = "original"


@dataclass(frozen=True)
class Format:
    """One output format.

    Attributes:
        key: stable identifier stored in the database (``"mp3-320"``...).
        label: human label (``"MP3 320 kbps"``).
        extension: file extension with the dot (``""`` for ``original``: the master's).
        mime: MIME type to serve the file with.
        lossless: the encoding is lossless.
        streaming: used by the web player.
        download: offered to buyers.
        nominal_kbps: nominal bitrate of a lossy format (None for lossless/original).
        tag_kind: how tags are written (None for ``original``: depends on the master).
        embeds_cover: the pipeline should embed the cover when tagging (downloads do;
            streaming files stay small and the player shows the page's cover).
        keeps_hires: keeps the master's sample rate and bit depth (lossless formats).
        codec: the codec as reported by ``probe()`` (``"mp3"``, ``"opus"``, ``"alac"``,
            ``"wav"``...), to check an output against its format.
        muxer: ffmpeg output format (``-f``).
        codec_args: encoder arguments (the PCM codec / sample format of lossless
            formats depends on the master's depth and is added by ``transcode``).
        max_sample_rate: highest rate the encoder is fed (lossy formats, else None).
        fixed_sample_rate: the only rate the encoder accepts (Opus: 48000).
        passthrough: the file is the master itself (``original``), not an encode.
    """

    key: str
    label: str
    extension: str
    mime: str
    lossless: bool
    streaming: bool
    download: bool
    nominal_kbps: int | None
    tag_kind: TagKind | None
    embeds_cover: bool
    keeps_hires: bool
    codec: str
    muxer: str
    codec_args: tuple[str, ...]
    max_sample_rate: int | None = None
    fixed_sample_rate: int | None = None
    passthrough: bool = False

    @property
    def lossy(self) -> bool:
        """The opposite of ``lossless`` (``original`` counts as lossy)."""
        return not self.lossless


_CODECS: dict[str, tuple[TagKind, str, str, str]] = {
    # codec as reported by probe -> (tag kind, extension, MIME type, ffmpeg muxer)
    "mp3": ("id3", ".mp3", "audio/mpeg", "mp3"),
    "aac": ("mp4", ".m4a", "audio/mp4", "ipod"),
    "alac": ("mp4", ".m4a", "audio/mp4", "ipod"),
    "vorbis": ("vorbis", ".ogg", "audio/ogg", "ogg"),
    "opus": ("vorbis", ".opus", "audio/ogg", "opus"),
    "flac": ("flac", ".flac", "audio/flac", "flac"),
    "wav": ("wav", ".wav", "audio/wav", "wav"),
    "aiff": ("aiff", ".aiff", "audio/aiff", "aiff"),
}

_MP4_FLAGS = ("-movflags", "+faststart")


def _format(key: str, label: str, codec: str, codec_args: tuple[str, ...], **rest: Any) -> Format:
    """A format whose extension, MIME type, tag kind and muxer are its codec's."""
    tag_kind, extension, mime, muxer = _CODECS[codec]
    return Format(
        key=key,
        label=label,
        extension=extension,
        mime=mime,
        tag_kind=tag_kind,
        codec=codec,
        muxer=muxer,
        codec_args=codec_args,
        **rest,
    )


def _lossy(
    key: str,
    label: str,
    codec: str,
    kbps: int,
    codec_args: tuple[str, ...],
    *,
    streaming: bool = False,
    fixed_sample_rate: int | None = None,
) -> Format:
    """A lossy format: a stream for the player (small, no cover) or a download."""
    return _format(
        key,
        label,
        codec,
        codec_args,
        lossless=False,
        streaming=streaming,
        download=not streaming,
        nominal_kbps=kbps,
        embeds_cover=not streaming,
        keeps_hires=False,
        max_sample_rate=None if fixed_sample_rate else 48000,
        fixed_sample_rate=fixed_sample_rate,
    )


def _lossless(key: str, label: str, codec: str, codec_args: tuple[str, ...] = ()) -> Format:
    """A lossless download keeping the master's rate and depth."""
    return _format(
        key,
        label,
        codec,
        codec_args,
        lossless=True,
        streaming=False,
        download=True,
        nominal_kbps=None,
        embeds_cover=True,
        keeps_hires=True,
    )


_TABLE: tuple[Format, ...] = (
    # Streaming (web player).
    _lossy(
        "mp3-128",
        "MP3 128 kbps",
        "mp3",
        128,
        ("-c:a", "libmp3lame", "-b:a", "128k"),
        streaming=True,
    ),
    _lossy(
        "opus-96",
        "Opus 96 kbps",
        "opus",
        96,
        ("-c:a", "libopus", "-b:a", "96k", "-vbr", "on"),
        streaming=True,
        fixed_sample_rate=48000,
    ),
    # Downloads, lossy (best first).
    _lossy("mp3-320", "MP3 320 kbps", "mp3", 320, ("-c:a", "libmp3lame", "-b:a", "320k")),
    _lossy("mp3-v0", "MP3 V0 (VBR)", "mp3", 245, ("-c:a", "libmp3lame", "-q:a", "0")),
    _lossy("aac-256", "AAC 256 kbps", "aac", 256, ("-c:a", "aac", "-b:a", "256k", *_MP4_FLAGS)),
    _lossy(
        "vorbis-q6", "Ogg Vorbis q6 (~192 kbps)", "vorbis", 192, ("-c:a", "libvorbis", "-q:a", "6")
    ),
    _lossy(
        "opus-160",
        "Opus 160 kbps",
        "opus",
        160,
        ("-c:a", "libopus", "-b:a", "160k", "-vbr", "on"),
        fixed_sample_rate=48000,
    ),
    # Downloads, lossless (keep the master's rate and depth).
    _lossless("flac", "FLAC", "flac", ("-c:a", "flac")),
    _lossless("alac", "ALAC (Apple Lossless)", "alac", ("-c:a", "alac", *_MP4_FLAGS)),
    _lossless("wav", "WAV", "wav"),
    _lossless("aiff", "AIFF", "aiff"),
    # The lossy master as uploaded.
    Format(
        key=ORIGINAL,
        label="Original file",
        extension="",
        mime="application/octet-stream",
        lossless=False,
        streaming=False,
        download=True,
        nominal_kbps=None,
        tag_kind=None,
        embeds_cover=False,
        keeps_hires=True,
        codec="",
        muxer="",
        codec_args=(),
        passthrough=True,
    ),
)

FORMATS: dict[str, Format] = {fmt.key: fmt for fmt in _TABLE}
"""Every format by key, in display order (streaming first, then downloads best first)."""

STREAMING_FORMATS: list[Format] = [fmt for fmt in _TABLE if fmt.streaming]
"""Formats made for the web player: ``mp3-128`` (plays everywhere) then ``opus-96``."""

DOWNLOAD_FORMATS: list[Format] = [fmt for fmt in _TABLE if fmt.download and not fmt.passthrough]
"""Formats encoded for buyers, lossy best first, then lossless.

``original`` is not listed: it is offered in addition, for lossy masters only (see
``transcode.plan``)."""

ENCODED_FORMATS: list[Format] = [fmt for fmt in _TABLE if not fmt.passthrough]
"""Every format made by ffmpeg (all but ``original``)."""


def get_format(key: str) -> Format:
    """Return the format for ``key``; raise ``KeyError`` with the known keys if unknown."""
    try:
        return FORMATS[key]
    except KeyError:
        raise KeyError(f"unknown format {key!r} (known: {', '.join(FORMATS)})") from None


def tag_kind_for_codec(codec: str) -> TagKind:
    """The tag kind of a file whose probed ``AudioInfo.codec`` is ``codec``."""
    return _CODECS[codec][0]


def original_extension(codec: str) -> str:
    """The extension to give an ``original`` download whose probed codec is ``codec``."""
    return _CODECS[codec][1]


def original_mime(codec: str) -> str:
    """The MIME type of an ``original`` download whose probed codec is ``codec``."""
    return _CODECS[codec][2]
