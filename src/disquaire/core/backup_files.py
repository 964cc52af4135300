"""A backup's stored files: list them from the storage, put them back through it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages

from disquaire.core.backup_manifest import MEDIA_DIR, BackupError, Manifest, Say
from disquaire.core.storage import storage_is_s3


def storage_of(storage: Storage | None) -> Storage:
    # The configured storage itself, not the lazy default_storage wrapper around it.
    return storage if storage is not None else storages["default"]


def storage_describe(storage: Storage) -> dict[str, Any]:
    if storage_is_s3(storage):
        return {"kind": "s3", "bucket": storage.bucket_name}  # type: ignore[attr-defined]
    return {"kind": "local"}


def storage_list(storage: Storage) -> Iterator[tuple[str, int, str]]:
    """Every stored file as (name, size, ETag or "")."""
    if storage_is_s3(storage):
        location = (getattr(storage, "location", "") or "").strip("/")
        prefix = f"{location}/" if location else ""
        for obj in storage.bucket.objects.filter(Prefix=prefix):  # type: ignore[attr-defined]
            yield obj.key[len(prefix) :], int(obj.size), str(obj.e_tag).strip('"')
        return
    if isinstance(storage, FileSystemStorage):
        root = Path(storage.location)
        if not root.is_dir():
            return
        for path in sorted(root.rglob("*")):
            # AtomicFileSystemStorage writes to hidden ".tmp" files first: never real files.
            if not path.is_file() or path.name.startswith("."):
                continue
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            yield path.relative_to(root).as_posix(), size, ""
        return
    raise BackupError(f"Backups cannot list the files of {type(storage).__name__}.")


def storage_has_files(storage: Storage) -> bool:
    return next(iter(storage_list(storage)), None) is not None


def media_restore(*, manifest: Manifest, source: Path, storage: Storage, say: Say) -> int:
    restored = 0
    for entry in manifest.media:
        if not entry.copied:
            continue
        if storage.exists(entry.name):
            storage.delete(entry.name)
        with (source / MEDIA_DIR / entry.name).open("rb") as handle:
            saved = storage.save(entry.name, File(handle, name=Path(entry.name).name))
        if saved != entry.name:
            raise BackupError(f"{entry.name} was stored as {saved}: the storage renamed it.")
        if storage.size(saved) != entry.bytes:
            raise BackupError(f"{entry.name}: the storage holds another size than the backup.")
        restored += 1
    say(f"Restored {restored} file(s).")
    return restored
