"""Storage helpers: every file goes through Django's storage API, local or S3."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import transaction

logger = logging.getLogger(__name__)


S3_STORAGE_CLASS = "storages.backends.s3.S3Storage"


def storage_is_s3(storage: Storage) -> bool:
    """Whether ``storage`` is S3-compatible (by class name, so the local mode never
    imports boto3)."""
    return any(
        f"{cls.__module__}.{cls.__qualname__}" == S3_STORAGE_CLASS for cls in type(storage).__mro__
    )


def sha256_stream(src: IO[bytes], dst: IO[bytes] | None = None) -> tuple[str, int]:
    """SHA-256 (hex) and size of what ``src`` holds, read in 1 MiB pieces; each piece
    also written to ``dst`` when given (a copy checked on the way)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := src.read(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
        if dst is not None:
            dst.write(chunk)
    return digest.hexdigest(), size


def sha256_file(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a local file."""
    with path.open("rb") as handle:
        return sha256_stream(handle)


class AtomicFileSystemStorage(FileSystemStorage):
    """Local storage that never shows a half-written file.

    The bytes go to a temporary file in the same directory, are flushed to disk,
    and only then renamed to the final name, so a process killed mid-write leaves
    at most a hidden ``.tmp`` file behind and never a truncated file under a real name.
    """

    def _save(self, name: str, content: Any) -> str:
        full_path = Path(self.path(name))
        directory = full_path.parent
        directory.mkdir(parents=True, exist_ok=True)
        while True:
            fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    if hasattr(content, "temporary_file_path"):
                        with Path(content.temporary_file_path()).open("rb") as src:
                            shutil.copyfileobj(src, handle, 1024 * 1024)
                    else:
                        for chunk in content.chunks():
                            handle.write(chunk)
                    handle.flush()
                    os.fsync(handle.fileno())
                if self.file_permissions_mode is not None:
                    Path(tmp_name).chmod(self.file_permissions_mode)
                # link() fails if the name was taken meanwhile: pick another, never overwrite.
                try:
                    os.link(tmp_name, full_path)
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = Path(self.path(name))
                    continue
                return str(name).replace("\\", "/")
            finally:
                Path(tmp_name).unlink(missing_ok=True)


def storage_save_path(*, name: str, path: Path, storage: Storage | None = None) -> str:
    """Store the local file ``path`` under ``name`` and return the final storage name."""
    target = storage or default_storage
    with path.open("rb") as handle:
        return target.save(name, File(handle, name=path.name))


def storage_save_bytes(*, name: str, data: bytes, storage: Storage | None = None) -> str:
    from django.core.files.base import ContentFile

    target = storage or default_storage
    return target.save(name, ContentFile(data))


def storage_open(name: str, mode: str = "rb") -> IO[bytes]:
    return default_storage.open(name, mode)


def storage_delete_on_commit(*names: str) -> None:
    """Delete the stored files ``names`` once the current transaction commits (at once
    outside one): a deletion rolled back keeps its files. Empty names are skipped; a file
    already gone is not an error."""
    wanted = [name for name in dict.fromkeys(names) if name]
    if not wanted:
        return

    def delete() -> None:
        for name in wanted:
            try:
                default_storage.delete(name)
            except Exception:
                # The deletion stands; an unreachable storage leaves a stray file, logged.
                logger.exception("stored file %s not deleted", name)

    transaction.on_commit(delete)
