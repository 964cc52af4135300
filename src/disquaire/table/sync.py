"""Sales sent by the phones (``sales_sync``), each recorded once, whatever the number of
times it is sent.

A batch of sales is one transaction: lock the bag's balances of every item it sells
(key order: two phones never wait on each other in a circle), find which sales are
already recorded (a sale's id, made on the phone, is the primary key), then record each
new one and take its units out of the bag through the stock ledger (check → write).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from disquaire.core.queries import integrity_retry
from disquaire.stock.errors import StockError
from disquaire.stock.services import balances_lock
from disquaire.table.bag import units_take
from disquaire.table.fan_services import buyers_record
from disquaire.table.models import Sale, SaleLine, Seller
from disquaire.table.phone_input import Later, Refused, batch_check, id_replay, parse_uuid
from disquaire.table.sale_parse import (
    Parsed,
    SaleBatch,
    sale_flags,
    sale_lines,
    sale_row,
    sale_units,
)
from disquaire.table.sellers import seller_check


def _answer(sale_id: Any, flags: list[str]) -> dict[str, Any]:
    answer: dict[str, Any] = {"id": str(sale_id), "status": "flagged" if flags else "accepted"}
    if flags:
        answer["flags"] = flags
    return answer


def _take_units(*, seller: Seller, parsed: Parsed, sale_id: str) -> list[str]:
    """Take the sale's units out of the show's bag (its balances already locked); the
    flags when the bag does not hold them (nothing taken then)."""
    units = sale_units(parsed)
    try:
        units_take(units, place=parsed.show.place, actor=seller.user, reference_id=sale_id)
    except StockError:
        return ["stock"]
    return []


def _record(*, seller: Seller, new: list[Parsed]) -> dict[uuid.UUID, dict[str, Any]]:
    """Record the batch's new sales (their ids checked unknown under the bag's lock):
    each one's units taken from the bag, then every sale and line in one insert each."""
    sales, lines, answers = [], [], {}
    for parsed in new:
        flags = sale_flags(parsed)
        if not flags:
            flags = _take_units(seller=seller, parsed=parsed, sale_id=str(parsed.id))
        answers[parsed.id] = _answer(parsed.id, flags)
        sales.append(
            sale_row(
                parsed,
                seller=seller,
                tendered=parsed.tendered,
                reference=parsed.reference,
                status=Sale.Status.FLAGGED if flags else Sale.Status.ACCEPTED,
                flags=flags,
                answer=answers[parsed.id],
            )
        )
        lines += sale_lines(parsed)
    # A sale sent again at this moment by another batch that shares no lock with this
    # one (no unit to take, or a tampered copy) makes this insert fail: sales_sync then
    # runs the batch again, and finds it recorded.
    Sale.objects.bulk_create(sales)
    SaleLine.objects.bulk_create(lines)
    return answers


def _sync_once(
    *, seller: Seller, sales: list[Any], ids: list[uuid.UUID | None], parsed: list[Any]
) -> list[dict[str, Any]]:
    pairs = sorted(
        {
            (item.pk, p.show.place_id)
            for p in parsed
            if isinstance(p, Parsed)
            for item, _n in sale_units(p)
        }
    )
    with transaction.atomic():
        balances_lock(pairs=pairs)
        known = Sale.objects.only("artist_id", "answer").in_bulk([i for i in ids if i])
        new: dict[uuid.UUID, Parsed] = {}
        for sale_id, p in zip(ids, parsed, strict=True):
            if isinstance(p, Parsed) and sale_id not in known and sale_id not in new:
                new[p.id] = p
        recorded = _record(seller=seller, new=list(new.values()))
        buyers_record(seller=seller, new=new, sales=sales)
        answers = []
        for raw, sale_id, p in zip(sales, ids, parsed, strict=True):
            if sale_id is not None and sale_id in recorded:
                answers.append(recorded[sale_id])
            elif sale_id is not None and sale_id in known:
                try:
                    answers.append(id_replay(row=known[sale_id], seller=seller))
                except Refused as exc:
                    answers.append({"id": str(sale_id), "status": "refused", "reason": str(exc)})
            else:
                raw_id = raw.get("id") if isinstance(raw, dict) else ""
                status = "later" if isinstance(p, Later) else "refused"
                answers.append({"id": str(raw_id or ""), "status": status, "reason": str(p)})
    return answers


def sales_sync(*, seller: Seller, sales: list[Any]) -> list[dict[str, Any]]:
    """Take a phone's batch of sales; each is recorded once, whatever the number of
    times it is sent. Answers one entry per sale, in order: ``accepted``, ``flagged``
    (recorded, for the band to resolve, with its reasons) or ``refused`` (not recorded:
    it cannot have come from the app as sent, with the reason).

    One transaction for the batch: it first locks the bag balances of every item the
    batch sells, in key order (so two phones' batches never wait on each other in a
    circle), then finds the sales already recorded (after the lock: a copy of this batch
    sent at the same moment has committed by then), then records the new ones."""
    seller_check(seller=seller)
    batch_check(sales=sales)
    batch = SaleBatch(seller=seller, sales=sales)
    ids: list[uuid.UUID | None] = []
    parsed: list[Parsed | Refused] = []
    for raw in sales:
        try:
            ids.append(parse_uuid(raw.get("id") if isinstance(raw, dict) else None, "id"))
        except Refused:
            ids.append(None)
        try:
            one = batch.parse(raw)
        except Refused as exc:
            parsed.append(exc)
            continue
        if one.payment == Sale.Payment.PHONE:
            # Started online only (``phone_pay``); once recorded, a replay answers it.
            parsed.append(Refused(_("A sale paid on the fan's phone starts online.")))
        else:
            parsed.append(one)
    return integrity_retry(lambda: _sync_once(seller=seller, sales=sales, ids=ids, parsed=parsed))


def sale_take(*, seller: Seller, raw: Any) -> dict[str, Any]:
    """One sale sent alone (see ``sales_sync``)."""
    return sales_sync(seller=seller, sales=[raw])[0]
