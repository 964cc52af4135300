"""A band with a merch bag, two items in it, products at table prices, an open show, a
seller; and sales as the phone app makes them."""

from __future__ import annotations

import itertools
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.test import Client

from disquaire.catalog.models import Artist
from disquaire.stock.models import Item, Place, Reason
from disquaire.stock.services import movement_record, place_default
from disquaire.table import services
from disquaire.table.models import Seller, Show, TableProduct
from disquaire.table.views.access import SESSION_SELLER
from tests.factories import ArtistFactory

_counter = itertools.count()


def uuid7() -> uuid.UUID:
    """A UUIDv7 as the phone makes it (milliseconds since the epoch, then random)."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


@dataclass
class Table:
    artist: Artist
    bag: Place
    cd: Item
    shirt: Item
    cd_product: TableProduct
    shirt_product: TableProduct
    deal: TableProduct
    show: Show
    seller: Seller


def table_build(*, cds: int = 20, shirts: int = 10, artist: Artist | None = None) -> Table:
    artist = artist or ArtistFactory()
    # The artist may have its default places already (the shared security world does).
    bag, _made = Place.objects.get_or_create(
        artist=artist, kind=Place.Kind.BAG, is_default=True, defaults={"name": "Bag"}
    )
    home = place_default(artist=artist)
    cd = Item.objects.create(artist=artist, name="CD")
    shirt = Item.objects.create(artist=artist, name="T-shirt M")
    for item, n in ((cd, cds), (shirt, shirts)):
        if n:
            movement_record(item=item, quantity=n, reason=Reason.RECEIVED, to_place=home)
            movement_record(
                item=item, quantity=n, reason=Reason.MOVED, from_place=home, to_place=bag
            )
    cd_product = services.product_save(
        artist=artist, name="CD", price=1500, category="music", components=[(cd, 1)]
    )
    shirt_product = services.product_save(
        artist=artist, name="T-shirt", price=2000, category="apparel", components=[(shirt, 1)]
    )
    deal = services.product_save(
        artist=artist, name="2 CDs", price=2500, category="music", components=[(cd, 2)]
    )
    show = services.show_open(
        artist=artist, date=date(2026, 12, 4), venue="Le Trabendo", town="Paris"
    )
    seller = services.seller_invite(artist=artist, name="Sam")
    services.seller_join(code=seller.code)
    seller.refresh_from_db()
    return Table(artist, bag, cd, shirt, cd_product, shirt_product, deal, show, seller)


class Device:
    """One phone: its id and its own sequence of sales."""

    def __init__(self) -> None:
        self.id = uuid.uuid4()
        self.seq = 0

    def sale(
        self,
        table: Table,
        lines: list[tuple[TableProduct, int]] | None = None,
        *,
        payment: str = "cash",
        **overrides: Any,
    ) -> dict[str, Any]:
        self.seq += 1
        lines = lines or [(table.cd_product, 1)]
        body = [
            {"product": p.pk, "name": p.name, "quantity": q, "unit_price": p.price}
            for p, q in lines
        ]
        total = 0 if payment == "free" else sum(p.price * q for p, q in lines)
        sale = {
            "id": str(uuid7()),
            "device_id": str(self.id),
            "device_seq": self.seq,
            "device_time": datetime.now(UTC).isoformat(),
            "show": table.show.pk,
            "payment": payment,
            "total": total,
            "tendered": None,
            "reference": "",
            "lines": body,
        }
        sale.update(overrides)
        return sale


def seller_client(seller: Seller) -> Client:
    client = Client()
    session = client.session
    session[SESSION_SELLER] = seller.pk
    session.save()
    return client


def sync(client: Client, table: Table, sales: list[dict[str, Any]]) -> Any:
    return client.post(
        f"/table/{table.artist.slug}/sync",
        data={"sales": sales},
        content_type="application/json",
    )


def today() -> date:
    return date.today()
