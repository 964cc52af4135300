"""What the code-batch commands share: the batch named on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from disquaire.delivery.models import CodeBatch


class BatchCommand(BaseCommand):
    """A command that writes one code batch to a file (``-``: standard output)."""

    output_help = "the file to write ('-': stdout)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("batch_id", type=int)
        parser.add_argument("output", type=Path, help=self.output_help)

    def batch(self, opts: dict[str, Any]) -> CodeBatch:
        batch = (
            CodeBatch.objects.select_related("release", "artist")
            .filter(pk=opts["batch_id"])
            .first()
        )
        if batch is None:
            raise CommandError(f"no code batch {opts['batch_id']}")
        return batch
