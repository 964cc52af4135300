"""Reading and writing tags (and the embedded cover) with mutagen, for every format.

* MP3: ID3v2.4 with an ``APIC`` front cover.
* M4A (AAC and ALAC): MP4 atoms, ISRC as an iTunes free-form atom, ``covr``.
* FLAC: Vorbis comments plus a FLAC ``PICTURE`` block.
* Ogg Vorbis and Ogg Opus: Vorbis comments, cover in ``METADATA_BLOCK_PICTURE``.
* WAV and AIFF: an ``ID3`` chunk (ID3v2.4) with an ``APIC`` front cover.

``write_tags`` replaces whatever tags the file had: the ``TagSet`` is authoritative.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mutagen
from mutagen.aiff import AIFF
from mutagen.flac import FLAC, Picture
from mutagen.id3 import (
    APIC,
    COMM,
    ID3,
    TALB,
    TDRC,
    TIT2,
    TPE1,
    TPE2,
    TPOS,
    TRCK,
    TSRC,
    PictureType,
)
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from disquaire.audio._sniff import Kind, sniff
from disquaire.audio.errors import AudioError
from disquaire.audio.formats import ORIGINAL, TagKind, get_format

__all__ = [
    "TAG_FIELDS",
    "TEXT_FIELDS",
    "TagSet",
    "open_audio",
    "read_cover",
    "read_file_tags",
    "read_tags",
    "tag_kind",
    "write_tags",
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

_KIND_TAGS: dict[Kind, TagKind] = {
    "mp3": "id3",
    "mp4": "mp4",
    "flac": "flac",
    "vorbis": "vorbis",
    "opus": "vorbis",
    "wav": "wav",
    "aiff": "aiff",
}

_MUTAGEN_CLASS: dict[Kind, type[mutagen.FileType]] = {
    "mp3": MP3,
    "mp4": MP4,
    "flac": FLAC,
    "vorbis": OggVorbis,
    "opus": OggOpus,
    "wav": WAVE,
    "aiff": AIFF,
}

_KIND_LABEL: dict[Kind, str] = {
    "mp3": "MP3",
    "mp4": "MP4/M4A",
    "flac": "FLAC",
    "vorbis": "Ogg Vorbis",
    "opus": "Ogg Opus",
    "wav": "WAV",
    "aiff": "AIFF",
}

_ISRC_ATOM = "----:com.apple.iTunes:ISRC"
_VORBIS_KEYS = {
    "title": "TITLE",
    "artist": "ARTIST",
    "album": "ALBUM",
    "album_artist": "ALBUMARTIST",
    "year": "DATE",
    "isrc": "ISRC",
    "comment": "COMMENT",
}
_MP4_KEYS = {
    "title": "\xa9nam",
    "artist": "\xa9ART",
    "album": "\xa9alb",
    "album_artist": "aART",
    "year": "\xa9day",
    "comment": "\xa9cmt",
}
_ID3_FRAMES: dict[str, type[Any]] = {
    "title": TIT2,
    "artist": TPE1,
    "album": TALB,
    "album_artist": TPE2,
    "isrc": TSRC,
}


@dataclass(frozen=True)
class TagSet:
    """The tags Disquaire writes into every file it delivers.

    ``comment`` holds the release's URL; ``cover_jpeg`` the JPEG to embed (None: none).
    """

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
    cover_jpeg: bytes | None = None


def open_audio(path: Path, kind: Kind) -> mutagen.FileType:
    """Open ``path`` (already sniffed as ``kind``) with mutagen; ``AudioError`` if it fails."""
    try:
        return _MUTAGEN_CLASS[kind](path)
    except Exception as exc:  # mutagen raises many error types on malformed files
        raise AudioError(f"unreadable {_KIND_LABEL[kind]} file ({_describe(exc)})") from exc


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return text[:200] if text else type(exc).__name__


def tag_kind(path: Path) -> TagKind:
    """The tag flavour of the audio file at ``path`` (judged by its content)."""
    return _KIND_TAGS[sniff(path)]


# --------------------------------------------------------------------------- writing


def _number_pair(number: int | None, total: int | None) -> str | None:
    if number is None:
        return None
    return f"{number}/{total}" if total else str(number)


def _picture(jpeg: bytes) -> Picture:
    pic = Picture()
    pic.type = PictureType.COVER_FRONT
    pic.mime = "image/jpeg"
    pic.desc = "Cover"
    pic.data = jpeg
    try:
        from PIL import Image

        with Image.open(io.BytesIO(jpeg)) as img:
            pic.width, pic.height = img.size
            pic.depth = 24
    except Exception:  # noqa: S110 - dimensions are optional metadata
        pass
    return pic


def _write_id3(tags: ID3, t: TagSet) -> None:
    tags.clear()
    for field, frame in _ID3_FRAMES.items():
        value = getattr(t, field)
        if value:
            tags.add(frame(encoding=3, text=[value]))
    track = _number_pair(t.track_number, t.track_total)
    if track:
        tags.add(TRCK(encoding=3, text=[track]))
    if t.disc_number is not None:
        tags.add(TPOS(encoding=3, text=[str(t.disc_number)]))
    if t.year is not None:
        tags.add(TDRC(encoding=3, text=[f"{t.year:04d}"]))
    if t.comment:
        tags.add(COMM(encoding=3, lang="eng", desc="", text=[t.comment]))
    if t.cover_jpeg:
        tags.add(
            APIC(
                encoding=3,
                mime="image/jpeg",
                type=PictureType.COVER_FRONT,
                desc="Cover",
                data=t.cover_jpeg,
            )
        )


def _vorbis_fields(t: TagSet) -> dict[str, str]:
    fields: dict[str, str] = {}
    for field, key in _VORBIS_KEYS.items():
        value = getattr(t, field)
        if value is not None and value != "":
            fields[key] = f"{value:04d}" if field == "year" else str(value)
    if t.track_number is not None:
        fields["TRACKNUMBER"] = str(t.track_number)
    if t.track_total is not None:
        fields["TRACKTOTAL"] = str(t.track_total)
    if t.disc_number is not None:
        fields["DISCNUMBER"] = str(t.disc_number)
    return fields


def _write_mp4(f: MP4, t: TagSet) -> None:
    if f.tags is None:
        f.add_tags()
    tags = f.tags
    assert tags is not None
    tags.clear()
    for field, key in _MP4_KEYS.items():
        value = getattr(t, field)
        if value is not None and value != "":
            tags[key] = [f"{value:04d}" if field == "year" else str(value)]
    if t.track_number is not None:
        tags["trkn"] = [(t.track_number, t.track_total or 0)]
    if t.disc_number is not None:
        tags["disk"] = [(t.disc_number, 0)]
    if t.isrc:
        tags[_ISRC_ATOM] = [MP4FreeForm(t.isrc.encode("utf-8"))]
    if t.cover_jpeg:
        tags["covr"] = [MP4Cover(t.cover_jpeg, imageformat=MP4Cover.FORMAT_JPEG)]


def write_tags(path: Path, *, format_key: str, tags: TagSet) -> None:
    """Replace the tags of the file at ``path`` (made as ``format_key``) with ``tags``.

    ``format_key`` is checked against the file's actual content; ``original`` accepts any
    supported file. Raises ``AudioError`` when the file cannot be tagged.
    """
    fmt = get_format(format_key)
    kind = sniff(path)
    actual = _KIND_TAGS[kind]
    if format_key != ORIGINAL and fmt.tag_kind != actual:
        raise AudioError(f"{path.name} is {_KIND_LABEL[kind]}, not {fmt.label}")
    f = open_audio(path, kind)
    try:
        if actual in ("id3", "wav", "aiff"):
            if f.tags is None:
                f.add_tags()
            assert isinstance(f.tags, ID3)
            _write_id3(f.tags, tags)
            f.save(v2_version=4)
        elif actual == "mp4":
            assert isinstance(f, MP4)
            _write_mp4(f, tags)
            f.save()
        elif isinstance(f, FLAC):
            if f.tags is None:
                f.add_tags()
            comments: Any = f.tags
            comments.clear()
            f.clear_pictures()
            for key, value in _vorbis_fields(tags).items():
                comments[key] = [value]
            if tags.cover_jpeg:
                f.add_picture(_picture(tags.cover_jpeg))
            f.save(deleteid3=True)
        else:
            assert f.tags is not None
            f.tags.clear()
            for key, value in _vorbis_fields(tags).items():
                f.tags[key] = [value]
            if tags.cover_jpeg:
                encoded = base64.b64encode(_picture(tags.cover_jpeg).write()).decode("ascii")
                f.tags["METADATA_BLOCK_PICTURE"] = [encoded]
            f.save()
    except AudioError:
        raise
    except Exception as exc:
        raise AudioError(f"cannot write tags to {path.name} ({_describe(exc)})") from exc


# --------------------------------------------------------------------------- reading


def _int_prefix(value: object) -> int | None:
    match = re.match(r"\s*(\d+)", str(value))
    return int(match.group(1)) if match else None


def _split_pair(value: object) -> tuple[int | None, int | None]:
    number, _, total = str(value).partition("/")
    return _int_prefix(number), _int_prefix(total) if total else None


def _year(value: object) -> int | None:
    match = re.match(r"\s*(\d{4})", str(value))
    return int(match.group(1)) if match else None


def _first(values: Any) -> str | None:
    if not values:
        return None
    if isinstance(values, list | tuple):
        values = values[0]
    text = str(values)
    return text if text != "" else None


def _empty_fields() -> dict[str, Any]:
    return dict.fromkeys((*TAG_FIELDS, "cover"))


def _read_id3(tags: ID3 | None) -> dict[str, Any]:
    out = _empty_fields()
    if tags is None:
        return out
    for field, frame in _ID3_FRAMES.items():
        found = tags.getall(frame.__name__)
        if found:
            out[field] = _first(found[0].text)
    trck = tags.getall("TRCK")
    if trck:
        out["track_number"], out["track_total"] = _split_pair(_first(trck[0].text))
    tpos = tags.getall("TPOS")
    if tpos:
        out["disc_number"] = _split_pair(_first(tpos[0].text))[0]
    for frame_id in ("TDRC", "TYER", "TDOR"):
        found = tags.getall(frame_id)
        if found:
            out["year"] = _year(_first(found[0].text))
            break
    comments = tags.getall("COMM")
    if comments:
        preferred = [c for c in comments if c.desc == ""] or comments
        out["comment"] = _first(preferred[0].text)
    pictures = tags.getall("APIC")
    if pictures:
        fronts = [p for p in pictures if p.type == PictureType.COVER_FRONT] or pictures
        out["cover"] = bytes(fronts[0].data)
    return out


def _read_mp4(tags: Any) -> dict[str, Any]:
    out = _empty_fields()
    if tags is None:
        return out
    for field, key in _MP4_KEYS.items():
        out[field] = _first(tags.get(key))
    if out["year"] is not None:
        out["year"] = _year(out["year"])
    trkn = tags.get("trkn")
    if trkn:
        number, total = trkn[0]
        out["track_number"] = number or None
        out["track_total"] = total or None
    disk = tags.get("disk")
    if disk:
        out["disc_number"] = disk[0][0] or None
    isrc = tags.get(_ISRC_ATOM)
    if isrc:
        out["isrc"] = bytes(isrc[0]).decode("utf-8", "replace") or None
    covers = tags.get("covr")
    if covers:
        out["cover"] = bytes(covers[0])
    return out


def _read_vorbis(tags: Any, pictures: list[Picture]) -> dict[str, Any]:
    out = _empty_fields()
    if tags is None:
        return out
    for field, key in _VORBIS_KEYS.items():
        out[field] = _first(tags.get(key))
    if out["year"] is not None:
        out["year"] = _year(out["year"])
    track = _first(tags.get("TRACKNUMBER"))
    if track is not None:
        out["track_number"], out["track_total"] = _split_pair(track)
    total = _first(tags.get("TRACKTOTAL")) or _first(tags.get("TOTALTRACKS"))
    if total is not None:
        out["track_total"] = _int_prefix(total)
    disc = _first(tags.get("DISCNUMBER"))
    if disc is not None:
        out["disc_number"] = _split_pair(disc)[0]
    if not pictures:
        for encoded in tags.get("METADATA_BLOCK_PICTURE", []):
            try:
                pictures.append(Picture(base64.b64decode(encoded)))
            except (binascii.Error, ValueError, mutagen.MutagenError):
                continue
    if pictures:
        fronts = [p for p in pictures if p.type == PictureType.COVER_FRONT] or pictures
        out["cover"] = bytes(fronts[0].data)
    else:
        legacy = _first(tags.get("COVERART"))
        if legacy:
            with contextlib.suppress(binascii.Error, ValueError):
                out["cover"] = base64.b64decode(legacy)
    return out


def read_file_tags(f: mutagen.FileType, kind: Kind) -> dict[str, Any]:
    """Read the tag fields (and ``cover``) from an already opened mutagen file."""
    tag_flavour = _KIND_TAGS[kind]
    if tag_flavour in ("id3", "wav", "aiff"):
        return _read_id3(f.tags if isinstance(f.tags, ID3) else None)
    if tag_flavour == "mp4":
        return _read_mp4(f.tags)
    pictures = list(f.pictures) if isinstance(f, FLAC) else []
    return _read_vorbis(f.tags, pictures)


def read_tags(path: Path) -> dict[str, Any]:
    """Read the tags of any supported audio file.

    Returns a dict with every field of ``TagSet`` except ``cover_jpeg`` (``title``,
    ``artist``, ``album``, ``album_artist``, ``track_number``, ``track_total``,
    ``disc_number``, ``year``, ``isrc``, ``comment``) plus ``cover`` (the embedded front
    cover's bytes, or None). Missing fields are None.
    """
    kind = sniff(path)
    return read_file_tags(open_audio(path, kind), kind)


def read_cover(path: Path) -> bytes | None:
    """The embedded front cover of the audio file at ``path`` (None when there is none)."""
    cover = read_tags(path)["cover"]
    return bytes(cover) if cover else None
