from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from disquaire.delivery.codes import code_batch_csv
from disquaire.delivery.models import CodeBatch


class Command(BaseCommand):
    help = "Export a download-code batch as CSV (codes, uses, redeem links)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("batch_id", type=int)
        parser.add_argument("output", type=Path, help="the CSV file to write ('-': stdout)")

    def handle(self, *args: Any, **opts: Any) -> None:
        batch = (
            CodeBatch.objects.select_related("release", "artist")
            .filter(pk=opts["batch_id"])
            .first()
        )
        if batch is None:
            raise CommandError(f"no code batch {opts['batch_id']}")
        text = code_batch_csv(batch=batch)
        if str(opts["output"]) == "-":
            self.stdout.write(text, ending="")
        else:
            opts["output"].write_text(text, encoding="utf-8")
