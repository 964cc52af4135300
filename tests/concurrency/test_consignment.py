"""Shops reporting sales at once on PostgreSQL: never more sold than the shop held.

Ten reports of one unit each (threads released together by a ``threading.Barrier``)
against a shop holding five: exactly five are recorded, five refused with the message,
and the shop's balance ends at zero. The control takes the balance lock away and makes
every report read what the shop holds before any writes (a second barrier): the shop
"sells" more than it had.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from disquaire.consignment import services as consignment_services
from disquaire.consignment.errors import ConsignmentError
from disquaire.consignment.models import Sale
from disquaire.consignment.services import Line, consignment_place, sales_report, shop_create
from disquaire.stock import services as stock_services
from disquaire.stock.models import Balance
from disquaire.stock.selectors import balance
from tests.concurrency.test_stock import run_at_once
from tests.stock.factories import ItemFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 10
HELD = 5


def _scene() -> tuple[Any, Any]:
    cd = ItemFactory()
    home = stock_services.place_default(artist=cd.artist)
    stock_services.movement_record(item=cd, quantity=50, reason="received", to_place=home)
    shop = shop_create(artist=cd.artist, name="Disques")
    consignment_place(shop=shop, item=cd, quantity=HELD, price_minor=1000)
    return cd, shop


def _report(cd: Any, shop: Any) -> str:
    try:
        sales_report(shop=shop, lines=[Line(cd, 1)])
    except ConsignmentError as exc:
        return f"refused: {exc}"
    return "ok"


def test_reports_at_once_never_sell_more_than_the_shop_held() -> None:
    cd, shop = _scene()
    results = run_at_once(THREADS, lambda i: _report(cd, shop))
    assert results.count("ok") == HELD, results
    assert all(r == "ok" or "cannot have sold 1" in r for r in results), results
    assert Sale.objects.filter(shop=shop).count() == HELD
    assert balance(item=cd, place=shop.place) == 0


def test_control_without_the_lock_the_shop_oversells(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves the test above can fail: no lock, every report reads before any writes."""
    cd, shop = _scene()
    everyone_read = threading.Barrier(THREADS)
    seen = threading.local()

    def read_without_lock(*, pairs: Any) -> dict[tuple[int, int], Balance]:
        # Each thread reads once, waits for all the others to have read, then keeps
        # working from what it read (the consignment check and the ledger's alike).
        if not hasattr(seen, "rows"):
            wanted = set(pairs)
            seen.rows = {
                (b.item_id, b.place_id): b
                for b in Balance.objects.filter(item_id__in={i for i, _ in wanted})
            }
            everyone_read.wait(timeout=60)
        return seen.rows

    def no_item_lock(*, item_ids: Any) -> None:
        return None

    monkeypatch.setattr(consignment_services, "items_lock", no_item_lock)
    monkeypatch.setattr(stock_services, "items_lock", no_item_lock)
    monkeypatch.setattr(consignment_services, "balances_lock", read_without_lock)
    monkeypatch.setattr(stock_services, "balances_lock", read_without_lock)
    results = run_at_once(THREADS, lambda i: _report(cd, shop))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Sale.objects.filter(shop=shop).count() > HELD
