"""The stock ledger as CSV (registered as exporter "stock-ledger")."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from disquaire.core.csvsafe import csv_text
from disquaire.stock.models import Movement

LEDGER_CSV_HEADER = [
    "time", "item", "quantity", "from", "to", "reason", "by", "reference_type",
    "reference_id", "note",
]  # fmt: skip


def ledger_csv(*, movements: Iterable[Movement]) -> str:
    """The movements as CSV, one row each, cells made safe for spreadsheets."""
    return csv_text(header=LEDGER_CSV_HEADER, rows=_ledger_rows(movements))


def _ledger_rows(movements: Iterable[Movement]) -> Iterator[list[object]]:
    for m in movements:
        yield [
            m.created_at.isoformat(), m.item.name, m.quantity,
            m.from_place.name if m.from_place else "", m.to_place.name if m.to_place else "",
            m.reason, getattr(m.actor, "email", "") if m.actor else "", m.reference_type,
            m.reference_id, m.note,
        ]  # fmt: skip
