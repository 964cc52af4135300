"""A backup's database: dump it, load it back on the same engine, or copy its rows
from SQLite onto PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import load_backend

from disquaire.core.backup_manifest import DUMP_NAMES, SOURCE_ALIAS, BackupError, Manifest, Say


def database_engine(alias: str) -> str:
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
    engine = database_engine(alias)
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


def migrations_applied(alias: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connections[alias]).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


def sqlite_migrations_applied(path: Path) -> dict[str, list[str]]:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT app, name FROM django_migrations ORDER BY app, name").fetchall()
    applied: dict[str, list[str]] = {}
    for app_label, name in rows:
        applied.setdefault(app_label, []).append(name)
    return applied


def models_all() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def migrations_check(manifest: Manifest) -> None:
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


def restore_same_engine(*, manifest: Manifest, dump: Path, alias: str) -> None:
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
def source_database(path: Path) -> Iterator[str]:
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
    model_list = models_all()
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
