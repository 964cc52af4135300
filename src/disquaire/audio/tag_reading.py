"""Reading tags and the embedded cover from every supported audio file, with mutagen."""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from pathlib import Path
from typing import Any

import mutagen
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3, PictureType

from disquaire.audio._sniff import Kind, sniff
from disquaire.audio.tag_files import (
    ID3_FRAMES,
    ISRC_ATOM,
    KIND_TAGS,
    MP4_KEYS,
    TAG_FIELDS,
    VORBIS_KEYS,
    open_audio,
)

__all__ = ["read_cover", "read_file_tags", "read_tags"]


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
    for field, frame in ID3_FRAMES.items():
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
    for field, key in MP4_KEYS.items():
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
    isrc = tags.get(ISRC_ATOM)
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
    for field, key in VORBIS_KEYS.items():
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
    tag_flavour = KIND_TAGS[kind]
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
