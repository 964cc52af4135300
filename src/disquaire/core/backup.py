"""Back up and restore a whole instance: the database and the stored files.

A backup is a folder:

- ``database.sqlite3`` (SQLite's online backup API: one consistent copy while the site
  runs) or ``database.pgdump`` (``pg_dump --format=custom``, one snapshot transaction);
- ``media/`` with a copy of every stored file (always for local storage; with
  ``--copy-media`` for S3, otherwise the keys are only listed with their sizes and ETags);
- ``manifest.json``, written last: what the backup holds, with a SHA-256 of every copied
  file and of the dump. A folder without a manifest is an unfinished backup.

The database is copied first, the files after: every file a row of the copy names was
stored before that row was committed, so it is there when the files are read. A file
deleted in between (a rendition made again) is listed under ``vanished``; renditions can
be made again from the masters.

Restoring checks every checksum before it changes anything, refuses an install that
already holds data (unless forced), loads the database, migrates it forward, then puts
the files back through the storage API (local disk or S3 alike). A backup of SQLite can
be restored onto PostgreSQL: the rows are copied table by table in one transaction,
keeping their keys (the path from the embedded mode to several machines,
docs/scaling.md).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.cache import caches
from django.core.files.storage import Storage
from django.core.management import call_command
from django.db import connections

from disquaire.core.backup_database import (
    database_dump,
    database_engine,
    migrations_applied,
    migrations_check,
    models_all,
    restore_same_engine,
    rows_copy,
    source_database,
    sqlite_migrations_applied,
)
from disquaire.core.backup_files import (
    media_restore,
    storage_describe,
    storage_has_files,
    storage_list,
    storage_of,
)
from disquaire.core.backup_manifest import (
    DUMP_NAMES,
    HOUSEKEEPING_MODELS,
    MANIFEST,
    MEDIA_DIR,
    BackupError,
    Manifest,
    MediaEntry,
    Say,
    secret_key_fingerprint,
)
from disquaire.core.storage import sha256_file, sha256_stream, storage_is_s3

# --- backup -------------------------------------------------------------------------------


def backup_create(
    *,
    destination: Path,
    copy_media: bool | None = None,
    alias: str = "default",
    storage: Storage | None = None,
    say: Say = lambda _line: None,
) -> Manifest:
    """Write a backup of the database and the stored files into ``destination``.

    ``destination`` must not exist or be an empty folder. Local files are always copied;
    S3 objects are listed (key, size, ETag) and copied only when ``copy_media`` is true.
    """
    source = storage_of(storage)
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"{destination} already exists and is not an empty folder.")
    s3 = storage_is_s3(source)
    copy = (not s3) if copy_media is None else copy_media
    if not s3 and not copy:
        raise BackupError("Local files are always copied: a list alone would not restore them.")
    destination.mkdir(parents=True, exist_ok=True)
    engine = database_engine(alias)
    dump = destination / DUMP_NAMES[engine]
    say(f"Copying the {engine} database…")
    migrations = migrations_applied(alias)
    database_dump(path=dump, alias=alias)
    if engine == "sqlite":
        migrations = sqlite_migrations_applied(dump)
    digest, size = sha256_file(dump)
    media: list[MediaEntry] = []
    vanished: list[str] = []
    media_root = destination / MEDIA_DIR
    say("Listing the stored files…" if not copy else "Copying the stored files…")
    for name, size_listed, etag in storage_list(source):
        entry = MediaEntry(name=name, bytes=size_listed, etag=etag)
        if copy:
            target = media_root / name
            if media_root.resolve() not in target.resolve().parents:
                raise BackupError(f"A stored file has an unsafe name: {name!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with source.open(name, "rb") as src, target.open("wb") as dst:
                    entry.sha256, entry.bytes = sha256_stream(src, dst)
            except FileNotFoundError:
                # Deleted after the database copy (a file replaced meanwhile).
                target.unlink(missing_ok=True)
                vanished.append(name)
                continue
            entry.copied = True
        media.append(entry)
    manifest = Manifest(
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        engine=engine,
        database={"file": dump.name, "bytes": size, "sha256": digest},
        migrations=migrations,
        storage={**storage_describe(source), "copied": copy},
        media=media,
        vanished=vanished,
        secret_key_fingerprint=secret_key_fingerprint(),
    )
    # Written last, through a temporary name: a manifest means a finished backup.
    partial = destination / f".{MANIFEST}.partial"
    partial.write_text(manifest.as_json())
    partial.replace(destination / MANIFEST)
    say(
        f"Backup written to {destination}: {len(media)} file(s)"
        + (f", {len(vanished)} deleted while copying" if vanished else "")
        + "."
    )
    return manifest


# --- restore ------------------------------------------------------------------------------


def backup_verify(*, source: Path, storage: Storage | None = None) -> Manifest:
    """Read the manifest and check every checksum; raise BackupError listing what is wrong.

    Files that were only listed (S3 without a copy) must be in ``storage`` already, with
    the same size.
    """
    manifest = Manifest.load(source / MANIFEST)
    problems: list[str] = []
    if manifest.engine not in DUMP_NAMES or manifest.database.get("file") != (
        DUMP_NAMES.get(manifest.engine)
    ):
        raise BackupError(f"The manifest names an unknown database dump: {manifest.database}")
    dump = source / manifest.database["file"]
    if not dump.is_file():
        problems.append(f"{dump.name}: missing")
    elif sha256_file(dump)[0] != manifest.database.get("sha256"):
        problems.append(f"{dump.name}: checksum differs")
    media_root = (source / MEDIA_DIR).resolve()
    listed_only = [entry for entry in manifest.media if not entry.copied]
    for entry in manifest.media:
        if not entry.copied:
            continue
        path = (media_root / entry.name).resolve()
        if media_root not in path.parents:
            problems.append(f"{entry.name}: unsafe name")
        elif not path.is_file():
            problems.append(f"media/{entry.name}: missing")
        elif sha256_file(path) != (entry.sha256, entry.bytes):
            problems.append(f"media/{entry.name}: checksum differs")
    if listed_only:
        present = {name: size for name, size, _etag in storage_list(storage_of(storage))}
        for entry in listed_only:
            if present.get(entry.name) != entry.bytes:
                problems.append(f"{entry.name}: not in the storage (or of another size)")
    if problems:
        shown = "\n  ".join(problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise BackupError(f"The backup does not match its manifest:\n  {shown}{more}")
    return manifest


def install_is_empty(*, alias: str = "default", storage: Storage | None = None) -> list[str]:
    """What already holds data (an empty list: nothing, the install may be restored onto)."""
    found: list[str] = []
    tables = set(connections[alias].introspection.table_names())
    for model in models_all():
        if model._meta.label_lower in HOUSEKEEPING_MODELS or model._meta.db_table not in tables:
            continue
        if model._base_manager.using(alias).exists():
            found.append(model._meta.label)
    if storage_has_files(storage_of(storage)):
        found.append("stored files")
    return found


def backup_restore(
    *,
    source: Path,
    force: bool = False,
    alias: str = "default",
    storage: Storage | None = None,
    say: Say = lambda _line: None,
) -> Manifest:
    """Bring the backup in ``source`` back onto this install (database and files).

    Every checksum is checked first; an install that already holds data is refused
    unless ``force`` (its data is then replaced). A SQLite backup may be restored onto
    PostgreSQL; the files go to whatever storage is configured (local or S3).
    """
    target_storage = storage_of(storage)
    manifest = backup_verify(source=source, storage=target_storage)
    migrations_check(manifest)
    target_engine = database_engine(alias)
    if manifest.engine != target_engine and manifest.engine != "sqlite":
        raise BackupError(
            f"A {manifest.engine} backup restores onto {manifest.engine} only (this install "
            f"uses {target_engine})."
        )
    if not force:
        in_use = install_is_empty(alias=alias, storage=target_storage)
        if in_use:
            raise BackupError(
                "This install already holds data ("
                + ", ".join(in_use[:8])
                + "). Restore onto an empty database and storage, or pass --force to "
                "replace them."
            )
    dump = source / manifest.database["file"]
    say(f"Restoring the {manifest.engine} database onto {target_engine}…")
    if manifest.engine == target_engine:
        restore_same_engine(manifest=manifest, dump=dump, alias=alias)
        call_command("migrate", database=alias, interactive=False, verbosity=0)
    else:
        call_command("migrate", database=alias, interactive=False, verbosity=0)
        with source_database(dump) as source_alias:
            call_command("migrate", database=source_alias, interactive=False, verbosity=0)
            rows_copy(source=source_alias, target=alias, say=say)
    connections[alias].close()
    media_restore(manifest=manifest, source=source, storage=target_storage, say=say)
    # Pages cached before the restore describe another database.
    for cache in caches.all():
        cache.clear()
    if manifest.secret_key_fingerprint and (
        manifest.secret_key_fingerprint != secret_key_fingerprint()
    ):
        say(
            "Warning: this install's secret key is not the one the backup was made with: "
            "download links, sign-in links and sessions made before will not work. Set "
            "DISQUAIRE_SECRET_KEY to the old key to keep them."
        )
    say("Restore finished.")
    return manifest
