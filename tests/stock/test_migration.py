"""Today's offer stock becomes items with a ledger (migrate back, write rows, migrate on)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from disquaire.orders.models import EditionUnit, ItemEditionCounter
from disquaire.orders.selectors import units_left
from disquaire.selling.models import Offer, OfferItem, OfferOption
from disquaire.stock import selectors
from disquaire.stock.models import Item, Movement, Place, Reason

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("orders", "0009_item_numbering")]
AFTER = [("orders", "0010_offer_stock_to_items")]


def _sale(old: Any, offer: Any, quantity: int, state: str, option: Any = None) -> Any:
    Order = old.get_model("orders", "Order")
    OrderLine = old.get_model("orders", "OrderLine")
    Reservation = old.get_model("orders", "Reservation")
    order = Order.objects.create(
        artist_id=offer.artist_id,
        currency="EUR",
        email="fan@example.org",
        state="paid" if state == "consumed" else "pending",
        code=f"C{Order.objects.count():09d}",
        is_test=True,
    )
    line = OrderLine.objects.create(
        order=order,
        offer=offer,
        option=option,
        title=offer.title,
        quantity=quantity,
        unit_price_minor=1500,
        total_minor=1500 * quantity,
        ships=True,
    )
    Reservation.objects.create(
        line=line,
        offer=offer,
        option=option,
        quantity=quantity,
        state=state,
        expires_at=timezone.now() + dt.timedelta(minutes=30),
    )
    return line


def test_offer_stock_becomes_items_keeping_paid_units_holds_and_numbers() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Artist = old.get_model("catalog", "Artist")
    OldOffer = old.get_model("selling", "Offer")
    OldOption = old.get_model("selling", "OfferOption")
    artist = Artist.objects.create(name="Band", slug="band")
    cd = OldOffer.objects.create(artist=artist, kind="physical", title="CD", stock=300)
    for _ in range(4):
        _sale(old, cd, 3, "consumed")  # 12 paid units
    _sale(old, cd, 2, "active")  # a checkout in progress
    vinyl = OldOffer.objects.create(
        artist=artist, kind="bundle", title="Vinyl", stock=50, numbered=True
    )
    line = _sale(old, vinyl, 5, "consumed")
    old.get_model("orders", "EditionCounter").objects.create(offer=vinyl, issued=5)
    for n in range(1, 6):
        old.get_model("orders", "EditionUnit").objects.create(offer=vinyl, number=n, line=line)
    tee = OldOffer.objects.create(artist=artist, kind="physical", title="Tee")
    small = OldOption.objects.create(offer=tee, label="S", stock=10)
    OldOption.objects.create(offer=tee, label="M", stock=None)
    _sale(old, tee, 2, "consumed", option=small)
    files = OldOffer.objects.create(artist=artist, kind="digital", title="Files", stock=100)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    home = Place.objects.get(artist_id=artist.pk)
    assert (home.kind, home.is_default) == (Place.Kind.HOME, True)
    cd_item = OfferItem.objects.get(offer_id=cd.pk).item
    ledger = [(m.reason, m.quantity) for m in Movement.objects.filter(item=cd_item).order_by("pk")]
    assert ledger == [(Reason.RECEIVED, 300), (Reason.SOLD_ONLINE, 12)]
    assert selectors.balance(item=cd_item, place=home) == 288
    cd_now = Offer.objects.get(pk=cd.pk)
    assert cd_now.stock is None
    assert units_left(offer=cd_now) == 286  # the pending checkout still holds 2

    vinyl_item = OfferItem.objects.get(offer_id=vinyl.pk).item
    assert vinyl_item.numbered and not Offer.objects.get(pk=vinyl.pk).numbered
    assert ItemEditionCounter.objects.get(item=vinyl_item).issued == 5
    assert EditionUnit.objects.filter(item=vinyl_item).count() == 5
    assert selectors.balance(item=vinyl_item, place=home) == 45

    use = OfferItem.objects.get(offer_id=tee.pk)
    assert use.option_id == small.pk and use.item.name == "Tee / S"
    assert selectors.balance(item=use.item, place=home) == 8
    assert OfferOption.objects.get(pk=small.pk).stock is None
    assert (
        units_left(offer=Offer.objects.get(pk=tee.pk), option=OfferOption.objects.get(pk=small.pk))
        == 8
    )

    assert Offer.objects.get(pk=files.pk).stock == 100  # digital: its own limit, as before
    assert not OfferItem.objects.filter(offer_id=files.pk).exists()
    assert Item.objects.filter(artist_id=artist.pk).count() == 3
    assert selectors.balance_drift() == []
