from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from disquaire.delivery.cards import PER_PAGE, code_batch_pdf
from disquaire.delivery.models import CodeBatch


class Command(BaseCommand):
    help = "Write the printable cards of a download-code batch as a PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("batch_id", type=int)
        parser.add_argument("output", type=Path, help="the PDF file to write ('-': stdout)")

    def handle(self, *args: Any, **opts: Any) -> None:
        batch = (
            CodeBatch.objects.select_related("release", "artist")
            .filter(pk=opts["batch_id"])
            .first()
        )
        if batch is None:
            raise CommandError(f"no code batch {opts['batch_id']}")
        count = batch.codes.count()
        if str(opts["output"]) == "-":
            self.stdout.buffer.write(code_batch_pdf(batch=batch))  # type: ignore[attr-defined]
            return
        with opts["output"].open("wb") as out:
            code_batch_pdf(batch=batch, out=out)
        pages = max(1, -(-count // PER_PAGE))
        self.stderr.write(f"{count} cards on {pages} page(s): {opts['output']}")
