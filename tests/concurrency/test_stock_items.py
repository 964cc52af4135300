"""Offers that share an item never oversell it together (PostgreSQL, real threads).

50 buyers of the CD offer and of the CD + download bundle, which both use the same 10
numbered CDs, all at once: exactly 10 units sold, 0 oversold, numbers 1..10 once. The
control takes the item-row lock away (the offers' own rows are still locked, which never
stopped two *different* offers): the same buyers oversell.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.db.models import Sum

from disquaire.orders import items as stock_items
from disquaire.orders.models import EditionUnit, Order, OrderState, Reservation
from disquaire.selling.models import Offer, OfferItem
from disquaire.stock import selectors as stock_selectors
from disquaire.stock import services as stock_services
from disquaire.stock.models import Movement, Reason
from tests.concurrency.test_stock import BUYERS, UNITS, buy, run_at_once
from tests.factories import ArtistFactory
from tests.shop.factories import OfferFactory
from tests.stock.factories import ItemFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def wide_race_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pause between counting what is held and holding: the control's race shows."""
    original = stock_items.items_free

    def slow(*args: Any, **kwargs: Any) -> dict[int, int]:
        free = original(*args, **kwargs)
        time.sleep(0.02)
        return free

    monkeypatch.setattr(stock_items, "items_free", slow)


def _cd_and_bundle() -> tuple[Any, Any, list[Offer]]:
    artist = ArtistFactory()
    cd = ItemFactory(artist=artist, name="CD Marée Haute", numbered=True)
    home = stock_services.place_default(artist=artist)
    stock_services.movement_record(item=cd, quantity=UNITS, reason=Reason.RECEIVED, to_place=home)
    offers = []
    for kind in (Offer.Kind.PHYSICAL, Offer.Kind.BUNDLE):
        offer = OfferFactory(artist=artist, release=None, kind=kind, title=str(kind))
        OfferItem.objects.create(offer=offer, item=cd, quantity=1)
        offers.append(offer)
    return cd, home, offers


def _units_taken(offers: list[Offer]) -> int:
    held = Reservation.objects.filter(
        offer__in=offers, state__in=[Reservation.State.CONSUMED, Reservation.State.ACTIVE]
    ).aggregate(n=Sum("quantity"))["n"]
    return int(held or 0)


def test_fifty_buyers_of_two_offers_sharing_ten_cds_make_exactly_ten_sales(
    wide_race_window: None,
) -> None:
    cd, home, offers = _cd_and_bundle()
    results = run_at_once(BUYERS, lambda i: buy(offers[i % 2]))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Counter(results) == {"confirmed": UNITS, "sold out": BUYERS - UNITS}
    assert Order.objects.filter(state=OrderState.PAID).count() == UNITS
    assert _units_taken(offers) == UNITS
    assert stock_selectors.balance(item=cd, place=home) == 0  # never below
    sold = Movement.objects.filter(reason=Reason.SOLD_ONLINE).aggregate(n=Sum("quantity"))["n"]
    assert sold == UNITS
    numbers = sorted(EditionUnit.objects.filter(item=cd).values_list("number", flat=True))
    assert numbers == list(range(1, UNITS + 1))
    assert stock_selectors.balance_drift() == []


def test_control_without_the_balance_lock_the_two_offers_oversell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Proves the test above can fail: the offers' rows alone do not guard the CDs, the
    item's row does.

    Buyers of one offer still queue on its row, so two checkouts at most — one of each
    offer — count at once; they meet at a barrier after counting, so each pair counts
    the same units. One unit is held first: the pairs count 1, 3, 5, 7, 9 — and at 9
    both hold one.
    """

    pair_counted = threading.Barrier(2)
    original = stock_items.items_free

    def counted_together(*args: Any, **kwargs: Any) -> dict[int, int]:
        free = original(*args, **kwargs)
        try:
            pair_counted.wait(timeout=30)
        except threading.BrokenBarrierError:
            pair_counted.reset()
        return free

    _cd, _home, offers = _cd_and_bundle()
    assert _hold(offers[0]) == "held"
    monkeypatch.setattr(stock_services, "items_lock", lambda *, item_ids: None)
    monkeypatch.setattr(stock_items, "items_free", counted_together)
    results = run_at_once(BUYERS, lambda i: _hold(offers[i % 2]))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert _units_taken(offers) > UNITS, Counter(results)


def _hold(offer: Offer) -> str:
    """A checkout (the hold) only: the race is between counting and holding."""
    from disquaire.orders.errors import SoldOut
    from tests.shop.helpers import order_for

    try:
        order_for(offer, email="fan@example.org")
    except SoldOut:
        return "sold out"
    return "held"
