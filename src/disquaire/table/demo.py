"""The demo band's merch table: products at table prices, a friend as seller, and a past
show with its counts, sales (cash, card, free, bank transfers — one still pending) and
its report."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from disquaire.catalog.models import Artist, Release
from disquaire.stock.models import Balance, Item, Place
from disquaire.table import services
from disquaire.table.models import Sale, Show, TableProduct

DEMO_VENUE = "Le Ferrailleur"


def _uuid7(stamp: datetime) -> uuid.UUID:
    """A UUIDv7 as the phone makes it (milliseconds, version, variant, random)."""
    ms = int(stamp.timestamp() * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62 | rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def demo_table_create(*, artist: Artist, album: Release | None = None) -> None:
    """Table products from what is in the merch bag, a seller and a closed show nine
    days ago with its report (idempotent: does nothing when the band has a product)."""
    if TableProduct.objects.filter(artist=artist).exists():
        return
    bag = Place.objects.filter(artist=artist, kind=Place.Kind.BAG).order_by("pk").first()
    if bag is None:
        return
    in_bag = {
        b.item: b.quantity
        for b in Balance.objects.filter(place=bag, quantity__gt=0).select_related("item")
    }
    cds = [i for i in in_bag if i.name.startswith("CD")]
    tees = sorted((i for i in in_bag if i.name.startswith("T-shirt")), key=lambda i: i.pk)
    if not cds:
        return
    cd: Item = cds[0]
    products = [
        services.product_save(
            artist=artist, name="CD", price=1200, category="music",
            components=[(cd, 1)], release=album, position=1,
        ),
        services.product_save(
            artist=artist, name="2 CDs", price=2000, category="music",
            components=[(cd, 2)], release=album, position=2,
        ),
    ]  # fmt: skip
    for n, tee in enumerate(tees, start=3):
        size = tee.name.rsplit("/", 1)[-1].strip()
        products.append(
            services.product_save(
                artist=artist, name=f"T-shirt {size}", price=2000, category="apparel",
                components=[(tee, 1)], position=n,
            )
        )  # fmt: skip
    seller = services.seller_invite(artist=artist, name="Lou")
    services.seller_join(code=seller.code)
    seller.refresh_from_db()
    night = timezone.localdate() - timedelta(days=9)
    show = services.show_open(
        artist=artist, date=night, venue=DEMO_VENUE, town="Nantes", place=bag,
        cash_float=5000, cut=Show.Cut.PERCENT, cut_apparel_bp=1500,
    )  # fmt: skip
    services.show_count(show=show, stage="in", counts=dict(in_bag), by="demo")
    start = datetime.combine(night, time(22, 30), tzinfo=UTC)
    device = uuid.uuid4()
    cd_p, deal = products[0], products[1]
    tee_p = products[2:] or [cd_p]
    plan: list[tuple[str, list[tuple[TableProduct, int]], dict[str, Any]]] = [
        ("cash", [(cd_p, 1)], {"tendered": 2000}),
        ("card", [(deal, 1), (tee_p[0], 1)], {"reference": "4021"}),
        ("cash", [(tee_p[-1], 1)], {"tendered": 2000}),
        ("bank", [(cd_p, 1)], {}),
        ("bank", [(deal, 1)], {}),
        ("free", [(cd_p, 1)], {"reference": "guest"}),
        ("cash", [(cd_p, 2)], {"tendered": 3000}),
    ]
    ids = []
    for seq, (payment, lines, extra) in enumerate(plan, start=1):
        stamp = start + timedelta(minutes=7 * seq)
        sale_id = _uuid7(stamp)
        ids.append((payment, sale_id))
        total = 0 if payment == "free" else sum(p.price * q for p, q in lines)
        services.sale_take(
            seller=seller,
            raw={
                "id": str(sale_id), "device_id": str(device), "device_seq": seq,
                "device_time": stamp.isoformat(), "show": show.pk, "payment": payment,
                "total": total, "tendered": extra.get("tendered"),
                "reference": extra.get("reference", ""),
                "lines": [
                    {"product": p.pk, "name": p.name, "quantity": q, "unit_price": p.price}
                    for p, q in lines
                ],
            },
        )  # fmt: skip
    # One transfer has arrived on the band's account; the other is still pending.
    first_bank = next(pk for payment, pk in ids if payment == "bank")
    services.sale_payment_receive(sale=Sale.objects.get(pk=first_bank), by="demo")
    after = {
        b.item: b.quantity
        for b in Balance.objects.filter(place=bag, item__in=list(in_bag)).select_related("item")
    }
    if tees:  # a shirt went missing in the crowd
        after[tees[0]] = max(after.get(tees[0], 0) - 1, 0)
    services.show_count(show=show, stage="out", counts=after, by="demo")
    services.show_close(show=show, cash_counted=5000 + 1200 + 2000 + 2400 - 100, by="demo")
