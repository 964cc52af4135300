"""Writing tags (and the embedded cover) with mutagen, for every format; reading is in
``tag_reading`` (re-exported here).

* MP3: ID3v2.4 with an ``APIC`` front cover.
* M4A (AAC and ALAC): MP4 atoms, ISRC as an iTunes free-form atom, ``covr``.
* FLAC: Vorbis comments plus a FLAC ``PICTURE`` block.
* Ogg Vorbis and Ogg Opus: Vorbis comments, cover in ``METADATA_BLOCK_PICTURE``.
* WAV and AIFF: an ``ID3`` chunk (ID3v2.4) with an ``APIC`` front cover.

``write_tags`` replaces whatever tags the file had: the ``TagSet`` is authoritative.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, COMM, ID3, TDRC, TPOS, TRCK, PictureType
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

from disquaire.audio._sniff import sniff
from disquaire.audio.errors import AudioError
from disquaire.audio.formats import ORIGINAL, get_format
from disquaire.audio.probe import Tags
from disquaire.audio.tag_files import (
    ID3_FRAMES,
    ISRC_ATOM,
    KIND_LABEL,
    KIND_TAGS,
    MP4_KEYS,
    TAG_FIELDS,
    TEXT_FIELDS,
    VORBIS_KEYS,
    describe,
    open_audio,
    tag_kind,
)
from disquaire.audio.tag_reading import read_cover, read_file_tags, read_tags

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


@dataclass(frozen=True)
class TagSet(Tags):
    """The tags Disquaire writes into every file it delivers: the fields ``probe`` reads
    (``Tags``), and the cover.

    ``comment`` holds the release's URL; ``cover_jpeg`` the JPEG to embed (None: none).
    """

    cover_jpeg: bytes | None = None


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
    for field, frame in ID3_FRAMES.items():
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
    for field, key in VORBIS_KEYS.items():
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
    for field, key in MP4_KEYS.items():
        value = getattr(t, field)
        if value is not None and value != "":
            tags[key] = [f"{value:04d}" if field == "year" else str(value)]
    if t.track_number is not None:
        tags["trkn"] = [(t.track_number, t.track_total or 0)]
    if t.disc_number is not None:
        tags["disk"] = [(t.disc_number, 0)]
    if t.isrc:
        tags[ISRC_ATOM] = [MP4FreeForm(t.isrc.encode("utf-8"))]
    if t.cover_jpeg:
        tags["covr"] = [MP4Cover(t.cover_jpeg, imageformat=MP4Cover.FORMAT_JPEG)]


def write_tags(path: Path, *, format_key: str, tags: TagSet) -> None:
    """Replace the tags of the file at ``path`` (made as ``format_key``) with ``tags``.

    ``format_key`` is checked against the file's actual content; ``original`` accepts any
    supported file. Raises ``AudioError`` when the file cannot be tagged.
    """
    fmt = get_format(format_key)
    kind = sniff(path)
    actual = KIND_TAGS[kind]
    if format_key != ORIGINAL and fmt.tag_kind != actual:
        raise AudioError(f"{path.name} is {KIND_LABEL[kind]}, not {fmt.label}")
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
        raise AudioError(f"cannot write tags to {path.name} ({describe(exc)})") from exc
