"""Email addresses in the one form they are stored, compared and counted in."""

from __future__ import annotations


def email_normalise(email: str | None) -> str:
    """The form an address is stored and compared in: trimmed, lower-case."""
    return (email or "").strip().lower()
