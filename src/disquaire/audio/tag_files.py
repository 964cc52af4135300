"""Opening audio files with mutagen, and the tag names of each flavour (for writing and reading)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mutagen
from mutagen.aiff import AIFF
from mutagen.flac import FLAC
from mutagen.id3 import TALB, TIT2, TPE1, TPE2, TSRC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from disquaire.audio._sniff import Kind, sniff
from disquaire.audio.errors import AudioError
from disquaire.audio.formats import TagKind

__all__ = [
    "ID3_FRAMES",
    "ISRC_ATOM",
    "KIND_LABEL",
    "KIND_TAGS",
    "MP4_KEYS",
    "TAG_FIELDS",
    "TEXT_FIELDS",
    "VORBIS_KEYS",
    "describe",
    "open_audio",
    "tag_kind",
]

TEXT_FIELDS = ("title", "artist", "album", "album_artist", "isrc", "comment")
"""The free-text fields (the ones ``probe`` cuts when too long)."""

TAG_FIELDS = (
    "title",
    "artist",
    "album",
    "album_artist",
    "track_number",
    "track_total",
    "disc_number",
    "year",
    "isrc",
    "comment",
)
"""Every field ``read_tags`` returns (plus ``cover``)."""

KIND_TAGS: dict[Kind, TagKind] = {
    "mp3": "id3",
    "mp4": "mp4",
    "flac": "flac",
    "vorbis": "vorbis",
    "opus": "vorbis",
    "wav": "wav",
    "aiff": "aiff",
}

MUTAGEN_CLASS: dict[Kind, type[mutagen.FileType]] = {
    "mp3": MP3,
    "mp4": MP4,
    "flac": FLAC,
    "vorbis": OggVorbis,
    "opus": OggOpus,
    "wav": WAVE,
    "aiff": AIFF,
}

KIND_LABEL: dict[Kind, str] = {
    "mp3": "MP3",
    "mp4": "MP4/M4A",
    "flac": "FLAC",
    "vorbis": "Ogg Vorbis",
    "opus": "Ogg Opus",
    "wav": "WAV",
    "aiff": "AIFF",
}

ISRC_ATOM = "----:com.apple.iTunes:ISRC"
VORBIS_KEYS = {
    "title": "TITLE",
    "artist": "ARTIST",
    "album": "ALBUM",
    "album_artist": "ALBUMARTIST",
    "year": "DATE",
    "isrc": "ISRC",
    "comment": "COMMENT",
}
MP4_KEYS = {
    "title": "\xa9nam",
    "artist": "\xa9ART",
    "album": "\xa9alb",
    "album_artist": "aART",
    "year": "\xa9day",
    "comment": "\xa9cmt",
}
ID3_FRAMES: dict[str, type[Any]] = {
    "title": TIT2,
    "artist": TPE1,
    "album": TALB,
    "album_artist": TPE2,
    "isrc": TSRC,
}


def open_audio(path: Path, kind: Kind) -> mutagen.FileType:
    """Open ``path`` (already sniffed as ``kind``) with mutagen; ``AudioError`` if it fails."""
    try:
        return MUTAGEN_CLASS[kind](path)
    except Exception as exc:  # mutagen raises many error types on malformed files
        raise AudioError(f"unreadable {KIND_LABEL[kind]} file ({describe(exc)})") from exc


def describe(exc: BaseException) -> str:
    """A short text for a mutagen error, for an ``AudioError``'s reason."""
    text = str(exc).strip()
    return text[:200] if text else type(exc).__name__


def tag_kind(path: Path) -> TagKind:
    """The tag flavour of the audio file at ``path`` (judged by its content)."""
    return KIND_TAGS[sniff(path)]
