"""CSV a spreadsheet opens safely: one rule for every export."""

from __future__ import annotations


def csv_safe(value: object) -> object:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is quoted with '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
