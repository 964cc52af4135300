"""Errors of the orders room; their messages are for the buyer."""

from __future__ import annotations


class OrderError(Exception):
    """A request the order rules refuse; the message is for the buyer."""


class SoldOut(OrderError):
    pass


class TransitionError(OrderError):
    pass


class StockChanged(OrderError):
    """The band gave an offer a stock of its own while it was being checked out."""
