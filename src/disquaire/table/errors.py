"""Errors of the merch table; their messages are for the band or the seller."""

from __future__ import annotations


class TableError(ValueError):
    """A table action the rules refuse (nothing was written); the message says why."""


class SellerRefused(TableError):
    """The seller may not sell (revoked, or of another artist)."""
