"""A sale as a phone sends it, read and checked: what no honest phone sends is refused,
what the server cannot take as it is gets its flags, the units it takes per item, and
its lines' rows."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from disquaire.stock.models import Item
from disquaire.table.models import Category, Sale, SaleLine, Seller, Show, TableProduct
from disquaire.table.phone_input import Later, Refused, device_time, parse_int, parse_uuid

MAX_LINES = 50
MAX_UNITS = 999


@dataclass
class ParsedLine:
    product_ref: int
    product: TableProduct | None
    name: str
    quantity: int
    unit_price: int


@dataclass
class Parsed:
    id: uuid.UUID
    device_id: uuid.UUID
    device_seq: int
    device_time: datetime
    show: Show
    payment: str
    total: int
    tendered: int | None
    reference: str
    lines: list[ParsedLine] = field(default_factory=list)


class SaleBatch:
    """What the sales of one batch name, read once: shows and products (with their items)."""

    def __init__(self, *, seller: Seller, sales: list[Any]) -> None:
        self.seller = seller
        show_ids, product_ids, client_ids = set(), set(), set()
        for raw in sales:
            if isinstance(raw, dict):
                if isinstance(raw.get("show"), int):
                    show_ids.add(raw["show"])
                elif isinstance(raw.get("show"), str):
                    with contextlib.suppress(ValueError):
                        client_ids.add(uuid.UUID(raw["show"]))
                for line in raw.get("lines") or []:
                    if isinstance(line, dict) and isinstance(line.get("product"), int):
                        product_ids.add(line["product"])
        self.shows = Show.objects.select_related("place").in_bulk(show_ids)
        self.by_client = Show.objects.select_related("place").in_bulk(
            client_ids, field_name="client_id"
        )
        # The items' releases too: a sale of music gives its buyer their codes.
        self.products = TableProduct.objects.prefetch_related("components__item__release").in_bulk(
            product_ids
        )

    def parse(self, raw: Any) -> Parsed:
        """The sale as the phone sent it, checked for what no honest phone sends."""
        seller = self.seller
        if not isinstance(raw, dict):
            raise Refused(_("A sale is an object."))
        stamp = device_time(raw)
        if stamp is None:
            raise Refused(_("The sale's device time is missing or unreadable."))
        show = self.show(raw.get("show"))
        payment = raw.get("payment")
        if payment not in Sale.Payment.values:
            raise Refused(_("Unknown payment: cash, card, free, bank transfer or online (phone)."))
        tendered = raw.get("tendered")
        lines = raw.get("lines")
        if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_LINES:
            raise Refused(_("A sale has 1 to %(n)s lines.") % {"n": MAX_LINES})
        parsed = Parsed(
            id=parse_uuid(raw.get("id"), "id", version=7),
            device_id=parse_uuid(raw.get("device_id"), "device_id"),
            device_seq=parse_int(raw.get("device_seq"), "device_seq", low=1),
            device_time=stamp,
            show=show,
            payment=payment,
            total=parse_int(raw.get("total"), "total"),
            tendered=None if tendered is None else parse_int(tendered, "tendered"),
            reference=str(raw.get("reference") or "")[:80],
        )
        for line in lines:
            if not isinstance(line, dict):
                raise Refused(_("A sale line is an object."))
            ref = parse_int(line.get("product"), "product", low=1)
            product = self.products.get(ref)
            if product is not None and product.artist_id != seller.artist_id:
                raise Refused(_("This item is not the band's."))
            parsed.lines.append(
                ParsedLine(
                    product_ref=ref,
                    product=product,
                    name=str(line.get("name") or "")[:120],
                    quantity=parse_int(line.get("quantity"), "quantity", low=1, high=MAX_UNITS),
                    unit_price=parse_int(line.get("unit_price"), "unit_price"),
                )
            )
        return parsed

    def show(self, ref: Any) -> Show:
        """The show a sale names: its number, or the id of the phone's ``open`` event."""
        if isinstance(ref, str):
            show = self.by_client.get(parse_uuid(ref, "show"))
            if show is None:
                raise Later(_("This show has not reached the server yet."))
        else:
            show = self.shows.get(parse_int(ref, "show", low=1))
        if show is None or show.artist_id != self.seller.artist_id:
            raise Refused(_("This show is not the band's."))
        return show


def sale_flags(parsed: Parsed) -> list[str]:
    """What keeps the sale from being taken as is (before stock)."""
    flags = []
    if parsed.show.state != Show.State.OPEN:
        flags.append("show_closed")
    for line in parsed.lines:
        if line.product is None:
            flags.append("product_deleted")
        elif not line.product.is_active:
            flags.append("product_removed")
        elif line.unit_price != line.product.price:
            flags.append("price")
    expected = (
        0
        if parsed.payment == Sale.Payment.FREE
        else sum(line.unit_price * line.quantity for line in parsed.lines)
    )
    if parsed.total != expected:
        flags.append("total")
    return sorted(set(flags))


def lines_units(lines: Iterable[Any]) -> list[tuple[Item, int]]:
    """Units per item that ``lines`` (each with a ``product``, or none, and a
    ``quantity``) take from the bag, in item order (the lock order)."""
    units: dict[int, list[Any]] = {}
    for line in lines:
        if line.product is None:
            continue
        for comp in line.product.components.all():
            units.setdefault(comp.item_id, [comp.item, 0])[1] += comp.quantity * line.quantity
    return [(item, n) for _pk, (item, n) in sorted(units.items())]


def sale_units(parsed: Parsed) -> list[tuple[Item, int]]:
    """Units per item the sale takes from the bag, in item order (the lock order)."""
    return lines_units(parsed.lines)


def sale_row(parsed: Parsed, *, seller: Seller, **fields: Any) -> Sale:
    """The (unsaved) row of the sale as the phone sent it, by ``seller``; ``fields`` are
    what the way it is recorded adds (status, flags, reference, order…)."""
    artist = seller.artist
    return Sale(
        id=parsed.id,
        artist=artist,
        show=parsed.show,
        seller=seller,
        device_id=parsed.device_id,
        device_seq=parsed.device_seq,
        device_time=parsed.device_time,
        payment=parsed.payment,
        total=parsed.total,
        currency=artist.currency,
        **fields,
    )


def sale_lines(parsed: Parsed) -> list[SaleLine]:
    """The rows of the sale's lines (its id is ``parsed.id``), each keeping the name and
    category of its product as they are now."""
    return [
        SaleLine(
            sale_id=parsed.id,
            product=line.product,
            product_ref=line.product_ref,
            name=line.product.name if line.product else line.name,
            category=line.product.category if line.product else Category.OTHER,
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for line in parsed.lines
    ]
