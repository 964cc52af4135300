"""Gather the files of an import safely: a folder, or a zip extracted into the scratch dir.

Nothing here writes outside the directory it is given: zip entries with absolute
paths, `..`, links or sizes beyond the limits are refused with a reason.
"""

from __future__ import annotations

import re
import shutil
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

AUDIO_EXTENSIONS = frozenset(
    {".flac", ".wav", ".wave", ".aif", ".aiff", ".aifc", ".m4a", ".mp4", ".mp3", ".ogg",
     ".oga", ".opus"}
)  # fmt: skip
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif"})
COVER_STEMS = ("cover", "folder", "front")
# A zip may not inflate beyond this many times its own size (zip bombs).
MAX_ZIP_RATIO = 200


@dataclass
class Rejected:
    file: str
    reason: str


@dataclass
class Gathered:
    root: Path
    audio: list[Path] = field(default_factory=list)
    covers: list[Path] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.name


def natural_key(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text)]


def _is_hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


def _classify(gathered: Gathered, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix in AUDIO_EXTENSIONS:
        gathered.audio.append(path)
    elif suffix in IMAGE_EXTENSIONS:
        gathered.covers.append(path)


def gather_folder(root: Path) -> Gathered:
    """List the audio and image files under ``root`` (links are refused, not followed)."""
    root = root.resolve()
    gathered = Gathered(root=root)
    for path in sorted(root.rglob("*"), key=lambda p: natural_key(p.as_posix())):
        rel = path.relative_to(root)
        if _is_hidden(rel.parts):
            continue
        if path.is_symlink():
            if path.suffix.lower() in AUDIO_EXTENSIONS | IMAGE_EXTENSIONS:
                gathered.rejected.append(
                    Rejected(rel.as_posix(), "symbolic links are not followed")
                )
            continue
        if path.is_file():
            _classify(gathered, path)
    return gathered


def _safe_member_name(name: str) -> PurePosixPath | None:
    """The entry's path inside the archive, or None when it tries to leave it."""
    cleaned = name.replace("\\", "/")
    posix = PurePosixPath(cleaned)
    if posix.is_absolute() or re.match(r"^[A-Za-z]:", cleaned) or ".." in posix.parts:
        return None
    parts = [part for part in posix.parts if part not in ("", ".")]
    return PurePosixPath(*parts) if parts else None


def gather_zip(archive: Path, *, into: Path, max_file_bytes: int) -> Gathered:
    """Extract the audio and images of ``archive`` into ``into`` and list them."""
    into.mkdir(parents=True, exist_ok=True)
    into = into.resolve()
    gathered = Gathered(root=into)
    archive_size = max(archive.stat().st_size, 1)
    total = 0
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            member = _safe_member_name(info.filename)
            if member is None:
                gathered.rejected.append(
                    Rejected(info.filename, "unsafe path in the zip (absolute or with ..)")
                )
                continue
            if _is_hidden(member.parts):
                continue
            suffix = member.suffix.lower()
            if suffix not in AUDIO_EXTENSIONS | IMAGE_EXTENSIONS:
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                gathered.rejected.append(Rejected(info.filename, "links in zips are refused"))
                continue
            if info.file_size > max_file_bytes:
                gathered.rejected.append(
                    Rejected(info.filename, f"larger than the {max_file_bytes} bytes allowed")
                )
                continue
            total += info.file_size
            if total > archive_size * MAX_ZIP_RATIO + 1024 * 1024:
                gathered.rejected.append(
                    Rejected(info.filename, "the zip inflates far beyond its size (zip bomb?)")
                )
                continue
            target = (into / Path(*member.parts)).resolve()
            if not target.is_relative_to(into):
                gathered.rejected.append(Rejected(info.filename, "unsafe path in the zip"))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with zf.open(info) as src, target.open("wb") as dst:
                while chunk := src.read(1024 * 1024):
                    written += len(chunk)
                    if written > info.file_size:
                        break
                    dst.write(chunk)
            if written > info.file_size:
                target.unlink()
                gathered.rejected.append(
                    Rejected(info.filename, "the entry is larger than the zip declares")
                )
                continue
            _classify(gathered, target)
    gathered.audio.sort(key=lambda p: natural_key(p.as_posix()))
    return gathered


def pick_cover(gathered: Gathered) -> Path | None:
    """cover.* first, then folder.*, then front.*; shallowest first."""
    for stem in COVER_STEMS:
        candidates = [p for p in gathered.covers if p.stem.casefold() == stem]
        if candidates:
            return min(candidates, key=lambda p: (len(p.parts), p.name))
    return None


TITLE_PREFIX = re.compile(r"^\s*(?:\d+\s*[-.]\s*)?\d{1,3}(?:\s*[-._)]\s*|\s+)")


def title_from_filename(path: Path) -> str:
    """'01 - Le Titre.flac' -> 'Le Titre'; underscores become spaces."""
    stem = unicodedata.normalize("NFC", path.stem).replace("_", " ")
    cleaned = TITLE_PREFIX.sub("", stem).strip()
    return cleaned or stem.strip() or path.name


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
