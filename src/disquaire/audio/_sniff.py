"""Recognise an audio file from its first bytes (never trust the extension)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from disquaire.audio.errors import AudioError

Kind = Literal["flac", "wav", "aiff", "mp4", "mp3", "vorbis", "opus"]

HEAD_BYTES = 8192

CONTAINERS: dict[Kind, tuple[str, str]] = {
    # kind -> (the container ``probe`` reports, the ffmpeg demuxer that reads it)
    "flac": ("flac", "flac"),
    "wav": ("wav", "wav"),
    "aiff": ("aiff", "aiff"),
    "mp4": ("mp4", "mov"),
    "mp3": ("mp3", "mp3"),
    "vorbis": ("ogg", "ogg"),
    "opus": ("ogg", "ogg"),
}
"""The one table of the containers we read: what ``probe`` calls each, and how ffmpeg does."""

DEMUXERS: dict[str, str] = dict(CONTAINERS.values())
"""The ffmpeg demuxer of each container ``probe`` reports."""

_OTHER_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program"),
    (b"MThd", "a MIDI file, which holds no recorded audio"),
)

_UNSUPPORTED_AUDIO: tuple[tuple[bytes, str], ...] = (
    (b"\x1aE\xdf\xa3", "Matroska/WebM"),
    (b"wvpk", "WavPack"),
    (b"MAC ", "Monkey's Audio"),
    (b"caff", "Core Audio (CAF)"),
    (b"RF64", "RF64 WAV"),
    (b"0&\xb2u\x8e\x66\xcf\x11", "Windows Media (WMA)"),
    (b"DSD ", "DSD (DSF)"),
    (b"FRM8", "DSD (DFF)"),
    (b"TTA1", "True Audio"),
    (b"ajkg", "Shorten"),
    (b"#!AMR", "AMR"),
)


def _id3_size(head: bytes) -> int:
    """Total size of a leading ID3v2 tag (header, body and optional footer)."""
    if len(head) < 10 or any(b & 0x80 for b in head[6:10]):
        return 0
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


def _is_mpeg_sync(data: bytes) -> bool:
    return len(data) >= 2 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 byte order mark
    text = head.decode("utf-8", "ignore")
    if len(text) < max(1, len(head) // 4):
        return False
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\t\r\n\f")
    return printable >= 0.97 * len(text)


def sniff(path: Path) -> Kind:
    """Return the kind of audio in ``path`` judging by its content.

    Raises ``AudioError`` for an empty, unreadable, non-audio or unsupported file.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
            if head.startswith(b"ID3"):
                skip = _id3_size(head)
                fh.seek(skip)
                after = fh.read(HEAD_BYTES)
                if after.startswith(b"fLaC"):
                    return "flac"
                if after[:2] in (b"\xff\xf1", b"\xff\xf9"):
                    raise AudioError("raw AAC (ADTS) is not supported: upload it as an .m4a")
                if not after.strip(b"\x00"):
                    raise AudioError("not an audio file (only an ID3 tag, no audio)")
                return "mp3"
    except OSError as exc:
        raise AudioError(f"cannot read the file ({exc.strerror or exc})") from exc
    if not head:
        raise AudioError("empty file")
    if head.startswith(b"fLaC"):
        return "flac"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[:4] == b"OggS":
        if b"OpusHead" in head:
            return "opus"
        if b"\x01vorbis" in head:
            return "vorbis"
        if b"\x7fFLAC" in head:
            raise AudioError("FLAC inside Ogg is not supported: upload a plain .flac")
        raise AudioError("unsupported Ogg file (neither Vorbis nor Opus)")
    if head[4:8] == b"ftyp":
        return "mp4"
    for signature, label in _UNSUPPORTED_AUDIO:
        if head.startswith(signature):
            raise AudioError(f"unsupported audio format ({label})")
    for signature, label in _OTHER_SIGNATURES:
        if head.startswith(signature):
            raise AudioError(f"not an audio file (looks like {label})")
    if _is_mpeg_sync(head):
        layer = (head[1] >> 1) & 0x03
        if layer == 0:
            raise AudioError("raw AAC (ADTS) is not supported: upload it as an .m4a")
        if layer == 1:  # MPEG layer III
            return "mp3"
        raise AudioError("unsupported audio format (MPEG layer I/II)")
    if not head.strip(b"\x00"):
        raise AudioError("not an audio file (only zero bytes)")
    if _looks_like_text(head):
        raise AudioError("not an audio file (looks like text)")
    raise AudioError("not a supported audio file (unrecognised content)")
