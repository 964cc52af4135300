from __future__ import annotations

from typing import Any

from disquaire.delivery.codes import code_batch_csv
from disquaire.delivery.management.batches import BatchCommand


class Command(BatchCommand):
    help = "Export a download-code batch as CSV (codes, uses, redeem links)."
    output_help = "the CSV file to write ('-': stdout)"

    def handle(self, *args: Any, **opts: Any) -> None:
        text = code_batch_csv(batch=self.batch(opts))
        if str(opts["output"]) == "-":
            self.stdout.write(text, ending="")
        else:
            opts["output"].write_text(text, encoding="utf-8")
