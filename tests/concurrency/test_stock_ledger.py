"""The stock ledger hammered from many threads on PostgreSQL: balances never drift.

Web sales (real checkouts and payments of an offer using the item), moves, counts and
refunds (of orders paid beforehand, which restock the units) of one item run at once
(threads released together by a ``threading.Barrier``); afterwards ``disquaire
stock-check`` recomputes every balance from the ledger and finds no drift. The control
takes the balance lock away and makes the writers read before any writes (a second
barrier): updates are lost, and stock-check says so.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from disquaire.orders.models import Order, OrderState, Payment
from disquaire.orders.refunds import payment_refund
from disquaire.orders.services import payment_confirm, payment_create
from disquaire.selling.models import Offer, OfferItem
from disquaire.stock import selectors, services
from disquaire.stock.errors import StockError
from disquaire.stock.models import Balance, Movement, Place, Reason
from tests.concurrency.test_stock import run_at_once
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for
from tests.stock.factories import ItemFactory, PlaceFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 24


def _scene() -> tuple[Any, Place, Place, Place]:
    cd = ItemFactory(name="CD")
    home = services.place_default(artist=cd.artist)
    shipping = PlaceFactory(artist=cd.artist, kind=Place.Kind.SHIPPING, is_default=True)
    bag = PlaceFactory(artist=cd.artist, kind=Place.Kind.BAG)
    services.movement_record(item=cd, quantity=300, reason=Reason.RECEIVED, to_place=home)
    services.movement_record(
        item=cd, quantity=100, reason=Reason.MOVED, from_place=home, to_place=shipping
    )
    services.movement_record(
        item=cd, quantity=1, reason=Reason.MOVED, from_place=home, to_place=bag
    )
    offer = OfferFactory(artist=cd.artist, release=None, kind=Offer.Kind.PHYSICAL, title="CD")
    OfferItem.objects.create(offer=offer, item=cd, quantity=1)
    _offers[cd.pk] = offer
    # Orders paid beforehand, one per refunding thread.
    _paid[cd.pk] = [_sell(offer) for _ in range(THREADS // 4)]
    return cd, home, shipping, bag


_offers: dict[int, Offer] = {}
_paid: dict[int, list[Payment]] = {}


def _sell(offer: Offer, quantity: int = 1) -> Payment:
    order = order_for(offer, quantity=quantity)
    return payment_confirm(payment=payment_create(order=order, provider="test"))


def _work(i: int, cd: Any, home: Place, shipping: Place, bag: Place) -> str:
    try:
        match i % 4:
            case 0:  # a web sale: checkout, then payment
                _sell(_offers[cd.pk], quantity=1 + i % 3)
            case 1:  # a move to the merch bag
                services.movement_record(
                    item=cd, quantity=2, reason=Reason.MOVED, from_place=home, to_place=bag
                )
            case 2:  # a count at home that finds one missing
                services.count_record(
                    item=cd, place=home, counted=selectors.balance(item=cd, place=home) - 1
                )
            case _:  # a refund of a paid order puts its unit back
                payment_refund(payment=_paid[cd.pk][i // 4], actor="test")
    except StockError as exc:
        return f"refused: {exc}"
    return "ok"


def test_many_writers_at_once_leave_no_drift() -> None:
    cd, home, shipping, bag = _scene()
    results = run_at_once(THREADS, lambda i: _work(i, cd, home, shipping, bag))
    assert not [r for r in results if isinstance(r, Exception)], results
    call_command("stock-check")  # exit 0: no drift
    assert selectors.balance_drift() == []
    # Units that entered (received, restocked, found) minus units that left (sold, lost).
    entered = sum(m.quantity for m in Movement.objects.filter(from_place__isnull=True))
    left = sum(m.quantity for m in Movement.objects.filter(to_place__isnull=True))
    assert sum(selectors.balances(artist=cd.artist).values()) == entered - left
    # The sales beforehand and those of the threads; a restock for each refund.
    assert Movement.objects.filter(reason=Reason.SOLD_ONLINE).count() == THREADS // 2
    assert Movement.objects.filter(reason=Reason.RESTOCKED).count() == THREADS // 4
    assert Order.objects.filter(state=OrderState.REFUNDED).count() == THREADS // 4
    assert Balance.objects.filter(quantity__lt=0).count() == 0


def test_control_without_the_lock_the_balances_drift(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves the test above can fail: no lock, every writer reads before any writes."""
    cd, home, shipping, bag = _scene()
    # Web sales queue on their offer's row and write their sale by a relative update
    # (no read to lose): they do not wait for the others.
    everyone_read = threading.Barrier(THREADS - THREADS // 4)
    waited = threading.local()

    def read_without_lock(*, pairs: Any) -> dict[tuple[int, int], Balance]:
        wanted = set(pairs)
        rows = {
            (b.item_id, b.place_id): b
            for b in Balance.objects.filter(item_id__in={i for i, _ in wanted})
            if (b.item_id, b.place_id) in wanted
        }
        if not getattr(waited, "done", True):  # a count reads twice: meet once
            waited.done = True
            everyone_read.wait(timeout=60)
        return rows

    monkeypatch.setattr(services, "balances_lock", read_without_lock)
    monkeypatch.setattr(services, "items_lock", lambda *, item_ids: None)

    def work(i: int) -> str:
        waited.done = i % 4 == 0
        return _work(i, cd, home, shipping, bag)

    results = run_at_once(THREADS, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert selectors.balance_drift() != []
    with pytest.raises(CommandError, match="drift"):
        call_command("stock-check")
