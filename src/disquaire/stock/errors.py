"""Errors of the stock room; their messages are for the band."""

from __future__ import annotations


class StockError(ValueError):
    """A stock change the rules refuse (nothing was written); the message says why."""


class LedgerImmutable(RuntimeError):
    """Someone tried to change or delete a ledger row: write a correcting row instead."""
