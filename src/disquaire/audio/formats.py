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
from typing import Literal

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


_MP4_FLAGS = ("-movflags", "+faststart")

_TABLE: tuple[Format, ...] = (
    # Streaming (web player).
    Format(
        key="mp3-128",
        label="MP3 128 kbps",
        extension=".mp3",
        mime="audio/mpeg",
        lossless=False,
        streaming=True,
        download=False,
        nominal_kbps=128,
        tag_kind="id3",
        embeds_cover=False,
        keeps_hires=False,
        codec="mp3",
        muxer="mp3",
        codec_args=("-c:a", "libmp3lame", "-b:a", "128k"),
        max_sample_rate=48000,
    ),
    Format(
        key="opus-96",
        label="Opus 96 kbps",
        extension=".opus",
        mime="audio/ogg",
        lossless=False,
        streaming=True,
        download=False,
        nominal_kbps=96,
        tag_kind="vorbis",
        embeds_cover=False,
        keeps_hires=False,
        codec="opus",
        muxer="opus",
        codec_args=("-c:a", "libopus", "-b:a", "96k", "-vbr", "on"),
        fixed_sample_rate=48000,
    ),
    # Downloads, lossy (best first).
    Format(
        key="mp3-320",
        label="MP3 320 kbps",
        extension=".mp3",
        mime="audio/mpeg",
        lossless=False,
        streaming=False,
        download=True,
        nominal_kbps=320,
        tag_kind="id3",
        embeds_cover=True,
        keeps_hires=False,
        codec="mp3",
        muxer="mp3",
        codec_args=("-c:a", "libmp3lame", "-b:a", "320k"),
        max_sample_rate=48000,
    ),
    Format(
        key="mp3-v0",
        label="MP3 V0 (VBR)",
        extension=".mp3",
        mime="audio/mpeg",
        lossless=False,
        streaming=False,
        download=True,
        nominal_kbps=245,
        tag_kind="id3",
        embeds_cover=True,
        keeps_hires=False,
        codec="mp3",
        muxer="mp3",
        codec_args=("-c:a", "libmp3lame", "-q:a", "0"),
        max_sample_rate=48000,
    ),
    Format(
        key="aac-256",
        label="AAC 256 kbps",
        extension=".m4a",
        mime="audio/mp4",
        lossless=False,
        streaming=False,
        download=True,
        nominal_kbps=256,
        tag_kind="mp4",
        embeds_cover=True,
        keeps_hires=False,
        codec="aac",
        muxer="ipod",
        codec_args=("-c:a", "aac", "-b:a", "256k", *_MP4_FLAGS),
        max_sample_rate=48000,
    ),
    Format(
        key="vorbis-q6",
        label="Ogg Vorbis q6 (~192 kbps)",
        extension=".ogg",
        mime="audio/ogg",
        lossless=False,
        streaming=False,
        download=True,
        nominal_kbps=192,
        tag_kind="vorbis",
        embeds_cover=True,
        keeps_hires=False,
        codec="vorbis",
        muxer="ogg",
        codec_args=("-c:a", "libvorbis", "-q:a", "6"),
        max_sample_rate=48000,
    ),
    Format(
        key="opus-160",
        label="Opus 160 kbps",
        extension=".opus",
        mime="audio/ogg",
        lossless=False,
        streaming=False,
        download=True,
        nominal_kbps=160,
        tag_kind="vorbis",
        embeds_cover=True,
        keeps_hires=False,
        codec="opus",
        muxer="opus",
        codec_args=("-c:a", "libopus", "-b:a", "160k", "-vbr", "on"),
        fixed_sample_rate=48000,
    ),
    # Downloads, lossless (keep the master's rate and depth).
    Format(
        key="flac",
        label="FLAC",
        extension=".flac",
        mime="audio/flac",
        lossless=True,
        streaming=False,
        download=True,
        nominal_kbps=None,
        tag_kind="flac",
        embeds_cover=True,
        keeps_hires=True,
        codec="flac",
        muxer="flac",
        codec_args=("-c:a", "flac"),
    ),
    Format(
        key="alac",
        label="ALAC (Apple Lossless)",
        extension=".m4a",
        mime="audio/mp4",
        lossless=True,
        streaming=False,
        download=True,
        nominal_kbps=None,
        tag_kind="mp4",
        embeds_cover=True,
        keeps_hires=True,
        codec="alac",
        muxer="ipod",
        codec_args=("-c:a", "alac", *_MP4_FLAGS),
    ),
    Format(
        key="wav",
        label="WAV",
        extension=".wav",
        mime="audio/wav",
        lossless=True,
        streaming=False,
        download=True,
        nominal_kbps=None,
        tag_kind="wav",
        embeds_cover=True,
        keeps_hires=True,
        codec="wav",
        muxer="wav",
        codec_args=(),
    ),
    Format(
        key="aiff",
        label="AIFF",
        extension=".aiff",
        mime="audio/aiff",
        lossless=True,
        streaming=False,
        download=True,
        nominal_kbps=None,
        tag_kind="aiff",
        embeds_cover=True,
        keeps_hires=True,
        codec="aiff",
        muxer="aiff",
        codec_args=(),
    ),
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

_CODEC_TAG_KIND: dict[str, tuple[TagKind, str, str]] = {
    # codec as reported by probe -> (tag kind, extension, MIME type)
    "mp3": ("id3", ".mp3", "audio/mpeg"),
    "aac": ("mp4", ".m4a", "audio/mp4"),
    "alac": ("mp4", ".m4a", "audio/mp4"),
    "vorbis": ("vorbis", ".ogg", "audio/ogg"),
    "opus": ("vorbis", ".opus", "audio/ogg"),
    "flac": ("flac", ".flac", "audio/flac"),
    "wav": ("wav", ".wav", "audio/wav"),
    "aiff": ("aiff", ".aiff", "audio/aiff"),
}


def get_format(key: str) -> Format:
    """Return the format for ``key``; raise ``KeyError`` with the known keys if unknown."""
    try:
        return FORMATS[key]
    except KeyError:
        raise KeyError(f"unknown format {key!r} (known: {', '.join(FORMATS)})") from None


def tag_kind_for_codec(codec: str) -> TagKind:
    """The tag kind of a file whose probed ``AudioInfo.codec`` is ``codec``."""
    return _CODEC_TAG_KIND[codec][0]


def original_extension(codec: str) -> str:
    """The extension to give an ``original`` download whose probed codec is ``codec``."""
    return _CODEC_TAG_KIND[codec][1]


def original_mime(codec: str) -> str:
    """The MIME type of an ``original`` download whose probed codec is ``codec``."""
    return _CODEC_TAG_KIND[codec][2]
