from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from disquaire.core.backup import BackupError, backup_restore, backup_verify


class Command(BaseCommand):
    help = (
        "Restore a backup made by `disquaire backup` onto this install (an empty one unless "
        "--force). Checks every checksum first. A SQLite backup restores onto PostgreSQL "
        "too, and its files go to the configured storage (local or S3)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path, help="the backup folder")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the data of an install that is not empty",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="only check the backup's checksums; change nothing",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["check"]:
                manifest = backup_verify(source=opts["source"])
                self.stdout.write(
                    f"The backup is whole: {manifest.engine} database, "
                    f"{len(manifest.media)} file(s), made {manifest.created_at}."
                )
                return
            backup_restore(source=opts["source"], force=opts["force"], say=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
