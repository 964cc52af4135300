from __future__ import annotations

from typing import Any

from disquaire.delivery.cards import PER_PAGE, code_batch_pdf
from disquaire.delivery.management.batches import BatchCommand


class Command(BatchCommand):
    help = "Write the printable cards of a download-code batch as a PDF."
    output_help = "the PDF file to write ('-': stdout)"

    def handle(self, *args: Any, **opts: Any) -> None:
        batch = self.batch(opts)
        count = batch.codes.count()
        if str(opts["output"]) == "-":
            self.stdout.buffer.write(code_batch_pdf(batch=batch))  # type: ignore[attr-defined]
            return
        with opts["output"].open("wb") as out:
            code_batch_pdf(batch=batch, out=out)
        pages = max(1, -(-count // PER_PAGE))
        self.stderr.write(f"{count} cards on {pages} page(s): {opts['output']}")
