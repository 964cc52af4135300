"""What a backup holds: its manifest, the names in its folder, its errors."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

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
