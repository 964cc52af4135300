"""CSV a spreadsheet opens safely: one rule for every export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence


def csv_safe(value: object) -> object:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is quoted with '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_text(*, header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The header, then the rows, every cell made safe: the text of a CSV export."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([csv_safe(v) for v in row] for row in rows)
    return out.getvalue()
