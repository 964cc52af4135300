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

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import load_backend

from disquaire.core.storage import sha256_file, sha256_stream, storage_is_s3

FORMAT = "disquaire-backup"
VERSION = 1
MANIFEST = "manifest.json"
MEDIA_DIR = "media"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# Rows that a freshly started install writes by itself: they do not make it "in use".
HOUSEKEEPING_MODELS = {
    "contenttypes.contenttype",
    "auth.permission",
    "sessions.session",
    "core.workerheartbeat",
}
SOURCE_ALIAS = "backup_source"

Say = Callable[[str], object]


class BackupError(Exception):
    """Something the operator must fix; the message says what. Nothing was changed."""


@dataclass
class MediaEntry:
    name: str
    bytes: int
    sha256: str = ""
    etag: str = ""
    copied: bool = False


@dataclass
class Manifest:
    engine: str
    database: dict[str, Any]
    migrations: dict[str, list[str]]
    storage: dict[str, Any]
    media: list[MediaEntry]
    created_at: str = ""
    vanished: list[str] = field(default_factory=list)
    secret_key_fingerprint: str = ""

    def as_json(self) -> str:
        data = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": self.created_at,
            "engine": self.engine,
            "database": self.database,
            "migrations": self.migrations,
            "storage": self.storage,
            "media": [entry.__dict__ for entry in self.media],
            "vanished": self.vanished,
            "secret_key_fingerprint": self.secret_key_fingerprint,
        }
        return json.dumps(data, indent=1, sort_keys=True)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError as exc:
            raise BackupError(
                f"{path} is missing: this is not a backup, or the backup did not finish."
            ) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise BackupError(f"{path} is not a readable manifest: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BackupError(f"{path} is not a Disquaire backup manifest.")
        if data.get("version") != VERSION:
            raise BackupError(
                f"{path} is a backup of format version {data.get('version')!r}; this "
                f"Disquaire reads version {VERSION}."
            )
        try:
            return cls(
                engine=data["engine"],
                database=data["database"],
                migrations=data["migrations"],
                storage=data["storage"],
                media=[MediaEntry(**entry) for entry in data["media"]],
                created_at=data.get("created_at", ""),
                vanished=list(data.get("vanished", [])),
                secret_key_fingerprint=data.get("secret_key_fingerprint", ""),
            )
        except (KeyError, TypeError) as exc:
            raise BackupError(f"{path} lacks a field or has a wrong one: {exc}") from exc


def secret_key_fingerprint() -> str:
    """A value that changes with the secret key and says nothing about it."""
    return hmac.new(
        settings.SECRET_KEY.encode(), b"disquaire-backup-fingerprint", hashlib.sha256
    ).hexdigest()[:16]


# --- the database -------------------------------------------------------------------------


def _engine(alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in DUMP_NAMES:
        raise BackupError(f"Backups know SQLite and PostgreSQL, not {vendor}.")
    return vendor


def _pg_env(alias: str) -> dict[str, str]:
    """libpq's environment for pg_dump/pg_restore: no password on a command line."""
    conf = connections[alias].settings_dict
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", conf.get("HOST")),
        ("PGPORT", conf.get("PORT")),
        ("PGUSER", conf.get("USER")),
        ("PGPASSWORD", conf.get("PASSWORD")),
        ("PGDATABASE", conf.get("NAME")),
        ("PGSSLMODE", (conf.get("OPTIONS") or {}).get("sslmode")),
        ("PGCONNECT_TIMEOUT", (conf.get("OPTIONS") or {}).get("connect_timeout")),
    ):
        if value:
            env[key] = str(value)
    return env


def _pg_tool(name: str, args: list[str], *, alias: str) -> None:
    binary = shutil.which(name)
    if binary is None:
        raise BackupError(
            f"{name} was not found: install PostgreSQL's client programs "
            "(Debian: postgresql-client) of the server's major version or newer."
        )
    done = subprocess.run(
        [binary, *args], env=_pg_env(alias), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _sqlite_name(alias: str) -> str:
    name = str(connections[alias].settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return name


def database_dump(*, path: Path, alias: str = "default") -> str:
    """Write one consistent copy of the database to ``path``; returns the engine."""
    engine = _engine(alias)
    if engine == "sqlite":
        # The online backup API copies every page in one step under a read transaction:
        # writers carry on (WAL) and the copy is the database as of one moment.
        with (
            contextlib.closing(sqlite3.connect(_sqlite_name(alias), timeout=30)) as src,
            contextlib.closing(sqlite3.connect(path)) as dst,
        ):
            src.backup(dst)
    else:
        # pg_dump reads everything in one repeatable-read snapshot.
        _pg_tool("pg_dump", ["--format=custom", "--no-owner", "--file", str(path)], alias=alias)
    return engine


def _applied_migrations(alias: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connections[alias]).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


def _sqlite_applied_migrations(path: Path) -> dict[str, list[str]]:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT app, name FROM django_migrations ORDER BY app, name").fetchall()
    applied: dict[str, list[str]] = {}
    for app_label, name in rows:
        applied.setdefault(app_label, []).append(name)
    return applied


# --- the files ----------------------------------------------------------------------------


def _storage_of(storage: Storage | None) -> Storage:
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


def _storage_has_files(storage: Storage) -> bool:
    return next(iter(storage_list(storage)), None) is not None


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
    source = _storage_of(storage)
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"{destination} already exists and is not an empty folder.")
    s3 = storage_is_s3(source)
    copy = (not s3) if copy_media is None else copy_media
    if not s3 and not copy:
        raise BackupError("Local files are always copied: a list alone would not restore them.")
    destination.mkdir(parents=True, exist_ok=True)
    engine = _engine(alias)
    dump = destination / DUMP_NAMES[engine]
    say(f"Copying the {engine} database…")
    migrations = _applied_migrations(alias)
    database_dump(path=dump, alias=alias)
    if engine == "sqlite":
        migrations = _sqlite_applied_migrations(dump)
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
        present = {name: size for name, size, _etag in storage_list(_storage_of(storage))}
        for entry in listed_only:
            if present.get(entry.name) != entry.bytes:
                problems.append(f"{entry.name}: not in the storage (or of another size)")
    if problems:
        shown = "\n  ".join(problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise BackupError(f"The backup does not match its manifest:\n  {shown}{more}")
    return manifest


def _models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def install_is_empty(*, alias: str = "default", storage: Storage | None = None) -> list[str]:
    """What already holds data (an empty list: nothing, the install may be restored onto)."""
    found: list[str] = []
    tables = set(connections[alias].introspection.table_names())
    for model in _models():
        if model._meta.label_lower in HOUSEKEEPING_MODELS or model._meta.db_table not in tables:
            continue
        if model._base_manager.using(alias).exists():
            found.append(model._meta.label)
    if _storage_has_files(_storage_of(storage)):
        found.append("stored files")
    return found


def _check_migrations(manifest: Manifest) -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    unknown = [
        f"{app}.{name}"
        for app, names in manifest.migrations.items()
        for name in names
        if (app, name) not in known and app in loader.migrated_apps
    ]
    if unknown:
        raise BackupError(
            "The backup was made by a newer Disquaire (migrations unknown here: "
            + ", ".join(unknown[:10])
            + "). Install that version or newer, then restore."
        )


def _tables_drop(alias: str) -> None:
    connection = connections[alias]
    tables = connection.introspection.table_names()
    if not tables:
        return
    with connection.cursor() as cursor:
        quoted = ", ".join(connection.ops.quote_name(name) for name in tables)
        cursor.execute(f"DROP TABLE IF EXISTS {quoted} CASCADE")


def _restore_same_engine(*, manifest: Manifest, dump: Path, alias: str) -> None:
    connection = connections[alias]
    if manifest.engine == "sqlite":
        name = _sqlite_name(alias)
        connections[alias].close()
        with (
            contextlib.closing(sqlite3.connect(f"file:{dump}?mode=ro", uri=True)) as src,
            contextlib.closing(sqlite3.connect(name, timeout=30)) as dst,
        ):
            # Replaces the whole target database, page by page, in one transaction.
            src.backup(dst)
        return
    with transaction.atomic(using=alias):
        _tables_drop(alias)
    connection.close()
    _pg_tool(
        "pg_restore",
        [
            "--no-owner",
            "--no-privileges",
            # Drops what the dump recreates and the table sweep above leaves (functions,
            # such as the stock ledger's append-only trigger function).
            "--clean",
            "--if-exists",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            str(connection.settings_dict["NAME"]),
            str(dump),
        ],
        alias=alias,
    )


@contextlib.contextmanager
def _source_database(path: Path) -> Iterator[str]:
    """The SQLite dump opened as a second database alias, on a scratch copy."""
    with tempfile.TemporaryDirectory(prefix="disquaire-restore-") as folder:
        copy = Path(folder) / "source.sqlite3"
        shutil.copyfile(path, copy)
        # A connection of its own, not an entry of settings.DATABASES: it lives as long as
        # the restore, in this thread only.
        settings_dict = dict(connections["default"].settings_dict)
        settings_dict.update(
            ENGINE="django.db.backends.sqlite3",
            NAME=str(copy),
            OPTIONS={},
            HOST="",
            PORT="",
            USER="",
            PASSWORD="",
            CONN_MAX_AGE=0,
            TEST={},
        )
        wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, SOURCE_ALIAS)
        connections[SOURCE_ALIAS] = wrapper
        try:
            yield SOURCE_ALIAS
        finally:
            wrapper.close()
            del connections[SOURCE_ALIAS]


@contextlib.contextmanager
def _timestamps_kept(model_list: list[type[models.Model]]) -> Iterator[None]:
    """Copy rows with their own dates: auto_now/auto_now_add would stamp them "now"."""
    changed: list[tuple[models.Field[Any, Any], bool, bool]] = []
    for model in model_list:
        for model_field in model._meta.local_fields:
            if getattr(model_field, "auto_now", False) or getattr(
                model_field, "auto_now_add", False
            ):
                changed.append((model_field, model_field.auto_now, model_field.auto_now_add))  # type: ignore[attr-defined]
                model_field.auto_now = model_field.auto_now_add = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for model_field, auto_now, auto_now_add in changed:
            model_field.auto_now, model_field.auto_now_add = auto_now, auto_now_add  # type: ignore[attr-defined]


def rows_copy(*, source: str, target: str, say: Say = lambda _line: None) -> int:
    """Copy every row of every table from one database alias to another, keys kept.

    Both are migrated to the same state first. The target's tables are emptied and filled
    in one transaction (foreign keys are checked at commit), then its sequences are moved
    past the copied keys.
    """
    model_list = _models()
    target_connection = connections[target]
    copied = 0
    with _timestamps_kept(model_list), transaction.atomic(using=target):
        tables = [model._meta.db_table for model in model_list]
        with target_connection.cursor() as cursor:
            for statement in target_connection.ops.sql_flush(
                no_style(), tables, reset_sequences=False, allow_cascade=True
            ):
                cursor.execute(statement)
        for model in model_list:
            batch: list[models.Model] = []
            rows = model._base_manager.using(source).order_by("pk").iterator(chunk_size=1000)
            for row in rows:
                batch.append(row)
                if len(batch) >= 1000:
                    model._base_manager.db_manager(target).bulk_create(batch)
                    copied += len(batch)
                    batch = []
            if batch:
                model._base_manager.db_manager(target).bulk_create(batch)
                copied += len(batch)
        with target_connection.cursor() as cursor:
            for statement in target_connection.ops.sequence_reset_sql(no_style(), model_list):
                cursor.execute(statement)
    say(f"Copied {copied} rows.")
    return copied


def _media_restore(*, manifest: Manifest, source: Path, storage: Storage, say: Say) -> int:
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
    target_storage = _storage_of(storage)
    manifest = backup_verify(source=source, storage=target_storage)
    _check_migrations(manifest)
    target_engine = _engine(alias)
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
        _restore_same_engine(manifest=manifest, dump=dump, alias=alias)
        call_command("migrate", database=alias, interactive=False, verbosity=0)
    else:
        call_command("migrate", database=alias, interactive=False, verbosity=0)
        with _source_database(dump) as source_alias:
            call_command("migrate", database=source_alias, interactive=False, verbosity=0)
            rows_copy(source=source_alias, target=alias, say=say)
    connections[alias].close()
    _media_restore(manifest=manifest, source=source, storage=target_storage, say=say)
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
