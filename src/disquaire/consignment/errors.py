"""What consignment services refuse, with a message for the person who asked."""

from __future__ import annotations


class ConsignmentError(ValueError):
    """A placing, report, count, return or settlement that cannot be done (nothing was
    written): ``str()`` says why, for the band or the shop."""
