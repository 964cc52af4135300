from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from disquaire.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write a consistent backup (database dump, stored files and a manifest with their "
        "checksums) into a new folder. The site may keep running."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination", type=Path, help="a folder that does not exist yet")
        parser.add_argument(
            "--copy-media",
            action="store_true",
            default=None,
            help="with S3 storage, copy the objects too (by default they are only listed "
            "with their sizes and ETags; local files are always copied)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            backup_create(
                destination=opts["destination"],
                copy_media=opts["copy_media"],
                say=self.stdout.write,
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
