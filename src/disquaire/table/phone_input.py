"""What every sending of a phone shares, sales and show events alike: its size checked
(``batch_check``), its values read as sent (``parse_int``, ``parse_uuid``,
``device_time``; what no honest phone sends is ``Refused``), and an id already recorded
answered the same again (``id_replay``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from disquaire.table.errors import TableError
from disquaire.table.models import Seller

MAX_BATCH = 500  # sales in one sending
MAX_EVENTS = 500  # show events in one sending


class Refused(Exception):
    """A sale (or event) that cannot have come from our app as sent: refused, not
    recorded."""


class Later(Refused):
    """A sale (or count) naming a show opened on a phone that has not reached the server
    yet: not recorded, the phone keeps it and sends it again."""


class Recorded(Protocol):
    """A row recorded under an id a phone made: a sale, a show event."""

    artist_id: int
    answer: Any


def batch_check(*, events: list[Any] | None = None, sales: list[Any] | None = None) -> None:
    """TableError (nothing read) when a sending holds more events or sales than one
    sending takes."""
    if events is not None and len(events) > MAX_EVENTS:
        raise TableError(_("At most %(n)s events at a time.") % {"n": MAX_EVENTS})
    if sales is not None and len(sales) > MAX_BATCH:
        raise TableError(_("At most %(n)s sales at a time.") % {"n": MAX_BATCH})


def parse_int(value: Any, what: str, *, low: int = 0, high: int = 2**31 - 1) -> int:
    """``value`` when it is a whole number from ``low`` to ``high`` (a JSON number, not
    a boolean); Refused naming ``what`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Refused(_("%(what)s must be a whole number from %(low)s to %(high)s.") % {
            "what": what, "low": low, "high": high,
        })  # fmt: skip
    return value


def parse_uuid(value: Any, what: str, *, version: int | None = None) -> uuid.UUID:
    try:
        parsed = uuid.UUID(str(value))
    except ValueError:
        raise Refused(_("%(what)s is not an id.") % {"what": what}) from None
    if version is not None and parsed.version != version:
        raise Refused(_("%(what)s is not a time-ordered id (UUIDv7).") % {"what": what})
    return parsed


def device_time(raw: Any) -> datetime | None:
    """When the phone made ``raw`` (a sale or event), by its clock; a naive time is read
    as UTC. None when missing or unreadable."""
    stamp = parse_datetime(str(raw.get("device_time", ""))) if isinstance(raw, dict) else None
    if stamp is None:
        return None
    return timezone.make_aware(stamp, UTC) if timezone.is_naive(stamp) else stamp


def id_replay(*, row: Recorded | None, seller: Seller, fits: bool = True) -> Any:
    """What a sending of an id already recorded answers: the answer kept on ``row``, the
    same again (None when no row holds the id: it is new). Refused when the row is
    another band's, or not of the kind sent (``fits`` false): the ids are made on the
    phones, so an id taken is never answered for someone else."""
    if row is None:
        return None
    if row.artist_id != seller.artist_id or not fits:
        raise Refused(_("This id is taken."))
    return row.answer
