"""Shows opened and counted on a phone (``events_sync``), each event recorded once,
whatever the number of times it is sent, before the sales of the same batch.

An event's id, made on the phone (UUIDv7), is its primary key and the answer given is
kept: a replay answers the same and writes nothing. A count locks its show, checks the
event is new (under that lock: a copy sent at the same moment has committed by then),
then writes through ``show_count`` (which locks each item's bag balance, checks, writes).
A count the server cannot apply as sent is recorded, flagged, and writes nothing.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from disquaire.core.queries import integrity_retry
from disquaire.stock.models import Item
from disquaire.table.errors import TableError
from disquaire.table.models import Seller, Show, ShowEvent
from disquaire.table.phone_input import (
    Later,
    Refused,
    batch_check,
    device_time,
    id_replay,
    parse_int,
    parse_uuid,
)
from disquaire.table.sale_parse import SaleBatch
from disquaire.table.sellers import seller_check
from disquaire.table.show_services import show_count, show_open
from disquaire.table.sync import sales_sync

MAX_ITEMS = 500
ITEM_KEY = re.compile(r"[1-9][0-9]{0,8}")  # an item's number, as the phone writes it


def _common(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise Refused(_("An event is an object."))
    stamp = device_time(raw)
    if stamp is None:
        raise Refused(_("The event's device time is missing or unreadable."))
    if raw.get("kind") not in ShowEvent.Kind.values:
        raise Refused(_("Unknown event: open, in or out."))
    return {
        "id": parse_uuid(raw.get("id"), "id", version=7),
        "device_id": parse_uuid(raw.get("device_id"), "device_id"),
        "device_seq": parse_int(raw.get("device_seq"), "device_seq", low=1),
        "device_time": stamp,
        "kind": raw["kind"],
    }


def _known(*, seller: Seller, event_id: uuid.UUID) -> dict[str, Any] | None:
    old = ShowEvent.objects.filter(pk=event_id).only("artist_id", "answer").first()
    return id_replay(row=old, seller=seller)


def _open(*, seller: Seller, raw: dict[str, Any], head: dict[str, Any], by: str) -> dict:
    day = parse_date(str(raw.get("date", "")))
    venue = str(raw.get("venue") or "").strip()
    if day is None or not venue:
        raise Refused(_("A show has a date and a venue."))
    with transaction.atomic():
        known = _known(seller=seller, event_id=head["id"])
        if known is not None:
            return known
        try:
            show = show_open(
                artist=seller.artist,
                date=day,
                venue=venue,
                town=str(raw.get("town") or ""),
                client_id=head["id"],
                by=by,
            )
        except TableError as exc:
            raise Refused(str(exc)) from exc
        answer = {"id": str(head["id"]), "status": "accepted", "show": show.pk}
        ShowEvent.objects.create(
            artist=seller.artist, seller=seller, show=show, answer=answer, status="accepted",
            **head,
        )  # fmt: skip
    return answer


def _counts(raw: Any, seller: Seller) -> tuple[dict[str, int], dict[Item, int], list[str]]:
    if not isinstance(raw, dict) or len(raw) > MAX_ITEMS:
        raise Refused(_("A count is a list of items and units."))
    sent = {}
    for key, units in raw.items():
        if not ITEM_KEY.fullmatch(str(key)):
            raise Refused(_("A count is a list of items and units."))
        sent[str(key)] = parse_int(units, "units")
    items = Item.objects.in_bulk([int(k) for k in sent])
    if any(item.artist_id != seller.artist_id for item in items.values()):
        raise Refused(_("This item is not the band's."))
    counts = {items[int(k)]: n for k, n in sent.items() if int(k) in items}
    flags = ["item_deleted"] if len(counts) < len(sent) else []
    return sent, counts, flags


def _count(*, seller: Seller, raw: dict[str, Any], head: dict[str, Any], by: str) -> dict:
    ref = SaleBatch(seller=seller, sales=[raw]).show(raw.get("show"))
    sent, counts, flags = _counts(raw.get("counts"), seller)
    with transaction.atomic():
        show = Show.objects.select_for_update().get(pk=ref.pk)
        known = _known(seller=seller, event_id=head["id"])
        if known is not None:
            return known
        if show.state != Show.State.OPEN:
            flags.append("show_closed")
        if not flags:
            try:
                with transaction.atomic():
                    show_count(show=show, stage=head["kind"], counts=counts,
                               actor=seller.user, by=by)  # fmt: skip
            except TableError:
                flags.append("stock")
        answer: dict[str, Any] = {"id": str(head["id"]), "status": "flagged" if flags else
                                  "accepted", "show": show.pk}  # fmt: skip
        if flags:
            answer["flags"] = sorted(flags)
        ShowEvent.objects.create(
            artist=seller.artist, seller=seller, show=show, counts=sent, answer=answer,
            status=answer["status"], flags=answer.get("flags", []), **head,
        )  # fmt: skip
    return answer


def _one(*, seller: Seller, raw: Any, by: str) -> dict[str, Any]:
    raw_id = raw.get("id") if isinstance(raw, dict) else ""
    try:
        head = _common(raw)
        take = _open if head["kind"] == ShowEvent.Kind.OPEN else _count
        # The same event recorded at this moment by another sending: read it.
        return integrity_retry(lambda: take(seller=seller, raw=raw, head=head, by=by))
    except Later as exc:
        return {"id": str(raw_id or ""), "status": "later", "reason": str(exc)}
    except Refused as exc:
        return {"id": str(raw_id or ""), "status": "refused", "reason": str(exc)}


def _when(raw: Any) -> datetime:
    # Refused anyway when unreadable: first, alone.
    return device_time(raw) or datetime.min.replace(tzinfo=UTC)


def table_sync(
    *, seller: Seller, events: list[Any], sales: list[Any], by: str = ""
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A phone's batch of show events and sales, taken in the order they were made (the
    phone's clock; events first at the same instant): an open before the sales and
    counts of its show, the sales of the night before its count out. Runs of sales go
    to ``sales_sync`` together. Answers: one per event, one per sale, in the order sent."""
    seller_check(seller=seller)
    batch_check(events=events, sales=sales)
    stream = sorted(
        [(_when(raw), 0, i) for i, raw in enumerate(events)]
        + [(_when(raw), 1, i) for i, raw in enumerate(sales)]
    )
    event_answers: list[dict[str, Any]] = [{} for _e in events]
    sale_answers: list[dict[str, Any]] = [{} for _s in sales]
    run: list[int] = []

    def flush() -> None:
        if run:
            for i, answer in zip(run, sales_sync(seller=seller, sales=[sales[i] for i in run]),
                                 strict=True):  # fmt: skip
                sale_answers[i] = answer
            run.clear()

    for _when_made, kind, i in stream:
        if kind == 1:
            run.append(i)
            continue
        flush()
        event_answers[i] = _one(seller=seller, raw=events[i], by=by or seller.name)
    flush()
    return event_answers, sale_answers


def events_sync(*, seller: Seller, events: list[Any], by: str = "") -> list[dict[str, Any]]:
    """Take a phone's shows opened and counts made, in the order sent (the phone's own
    order): one answer each, ``accepted``, ``flagged`` (recorded, nothing written to the
    stock, for the band to check), ``later`` (names a show not on the server yet: sent
    again later) or ``refused`` (no honest phone sends it: not recorded)."""
    seller_check(seller=seller)
    batch_check(events=events)
    return [_one(seller=seller, raw=raw, by=by or seller.name) for raw in events]
