"""The stock ledger as CSV (registered as exporter "stock-ledger")."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from disquaire.core.csvsafe import csv_safe
from disquaire.stock.models import Movement

LEDGER_CSV_HEADER = [
    "time", "item", "quantity", "from", "to", "reason", "by", "reference_type",
    "reference_id", "note",
]  # fmt: skip


def ledger_csv(*, movements: Iterable[Movement]) -> str:
    """The movements as CSV, one row each, cells made safe for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(LEDGER_CSV_HEADER)
    for m in movements:
        row = [
            m.created_at.isoformat(), m.item.name, m.quantity,
            m.from_place.name if m.from_place else "", m.to_place.name if m.to_place else "",
            m.reason, getattr(m.actor, "email", "") if m.actor else "", m.reference_type,
            m.reference_id, m.note,
        ]  # fmt: skip
        writer.writerow([csv_safe(v) for v in row])
    return out.getvalue()
