"""Phones syncing at the same moment on PostgreSQL: each sale recorded once, the bag
never sold below zero.

Threads meet at a barrier, each with its own connection. The bag's row lock is the stock
ledger's (``stock.services.movement_record``), whose own concurrency test has the control
that shows the race without it; here the unique sale id is what stops a sale sent twice
at once from being recorded twice, which no code of ours can remove.
"""

from __future__ import annotations

from collections import Counter

import pytest

from disquaire.stock.models import Movement, Reason
from disquaire.stock.selectors import balance
from disquaire.table import services
from disquaire.table.models import Sale, Show, ShowCount, ShowEvent
from tests.meeting import run_at_once
from tests.table.helpers import Device, table_build
from tests.table.test_show_events import Phone, gig

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_phones_syncing_at_once_each_batch_twice_record_every_sale_once():
    table = table_build(cds=500, shirts=500)
    phones = [Device(), Device()]
    batches = [
        [p.sale(table, [(table.cd_product, 1), (table.shirt_product, 1)]) for _ in range(40)]
        for p in phones
    ]
    # Each phone's batch is sent twice at the same moment (a retry after a timeout).
    results = run_at_once(
        4, lambda i: services.sales_sync(seller=table.seller, sales=batches[i % 2])
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    for i in range(2):
        assert results[i] == results[i + 2]
    assert Counter(r["status"] for batch in results for r in batch) == {"accepted": 160}
    assert Sale.objects.count() == 80
    rows = Movement.objects.filter(reason=Reason.SOLD_TABLE)
    assert rows.count() == 160
    assert len(set(rows.values_list("reference_id", "item_id"))) == 160
    assert balance(item=table.cd, place=table.bag) == 500 - 80
    assert balance(item=table.shirt, place=table.bag) == 500 - 80


def test_two_phones_selling_more_than_the_bag_holds_flag_the_excess():
    table = table_build(cds=30, shirts=0)
    phones = [Device(), Device()]
    batches = [[p.sale(table) for _ in range(20)] for p in phones]
    results = run_at_once(2, lambda i: services.sales_sync(seller=table.seller, sales=batches[i]))
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = Counter(r["status"] for batch in results for r in batch)
    assert statuses == {"accepted": 30, "flagged": 10}
    assert Sale.objects.count() == 40  # none dropped
    assert balance(item=table.cd, place=table.bag) == 0


# -- pay on your phone: lock the bag's balances → check (new sale, units left less those
# of waiting phone sales) → write the order and the sale.


def _phone_ready(cds: int) -> tuple[object, object]:
    from django.test import RequestFactory

    from disquaire.payments.models import PaymentSettings

    table = table_build(cds=cds, shirts=0)
    PaymentSettings.objects.create(artist=table.artist, test_mode=True)
    return table, RequestFactory().get("/")


def _checkout(table: object, raw: dict, request: object) -> object:
    from disquaire.table.phone_pay import phone_checkout

    return phone_checkout(seller=table.seller, raw=raw, request=request)  # type: ignore[attr-defined]


def test_the_same_phone_checkout_sent_twice_at_once_makes_one_order():
    from disquaire.orders.models import Order

    table, request = _phone_ready(10)
    raw = Device().sale(table, payment="phone")
    results = run_at_once(2, lambda i: _checkout(table, raw, request))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0] == results[1]
    assert Sale.objects.count() == 1 and Order.objects.count() == 1


def test_two_phone_checkouts_for_the_last_units_one_is_refused():
    table, request = _phone_ready(3)
    device = Device()
    raws = [device.sale(table, [(table.deal, 1)], payment="phone") for _ in range(2)]
    results = run_at_once(2, lambda i: _checkout(table, raws[i], request))
    assert sorted(type(r).__name__ for r in results) == ["TableError", "dict"]
    assert Sale.objects.filter(status=Sale.Status.PENDING).count() == 1


def test_control_without_the_lock_two_phone_checkouts_oversell_the_bag(
    monkeypatch: pytest.MonkeyPatch,
):
    from disquaire.stock import services as stock_services
    from disquaire.table import phone_pay
    from tests.meeting import meeting_point

    table, request = _phone_ready(3)
    device = Device()
    raws = [device.sale(table, [(table.deal, 1)], payment="phone") for _ in range(2)]

    def plain_read(*, pairs):  # the balances read, not locked
        pairs = set(pairs)
        items = sorted({i for i, _p in pairs})
        places = sorted({p for _i, p in pairs})
        return stock_services._balances_select(items, places, lock=False)

    meet = meeting_point(2)
    counted = phone_pay._pending_units

    def count_then_meet(**kwargs):
        held = counted(**kwargs)
        meet()
        return held

    monkeypatch.setattr(phone_pay, "balances_lock", plain_read)
    monkeypatch.setattr(phone_pay, "_pending_units", count_then_meet)
    results = run_at_once(2, lambda i: _checkout(table, raws[i], request))
    assert [type(r).__name__ for r in results] == ["dict", "dict"], results
    # Both passed the check: 4 units waiting for payment from a bag of 3.
    assert Sale.objects.filter(status=Sale.Status.PENDING).count() == 2


def test_a_gig_made_offline_sent_four_times_at_once_is_recorded_once():
    table = table_build()
    events, sales = gig(table, Phone())
    results = run_at_once(
        4, lambda i: services.table_sync(seller=table.seller, events=events, sales=sales)
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0] == results[1] == results[2] == results[3]
    assert [a["status"] for a in results[0][0]] == ["accepted"] * 3
    show = Show.objects.get(client_id=events[0]["id"])
    assert ShowEvent.objects.count() == 3 and Sale.objects.get().show == show
    assert ShowCount.objects.filter(show=show).count() == 2
    assert Movement.objects.filter(reason=Reason.COUNTED).count() == 1
    assert balance(item=table.cd, place=table.bag) == 17


# -- the band voids a sale: lock the sale's row → check it is not voided → write (units
# back, the sale voided).


def test_two_voids_of_the_same_sale_at_once_void_it_once_and_return_the_units_once():
    table = table_build(cds=20, shirts=0)
    raw = Device().sale(table, [(table.deal, 1)])
    services.sale_take(seller=table.seller, raw=raw)
    sale = Sale.objects.get(pk=raw["id"])
    assert balance(item=table.cd, place=table.bag) == 18
    results = run_at_once(
        2, lambda i: services.sale_void(sale=sale, reason=f"mistake {i}", by=f"member {i}")
    )
    assert sorted(type(r).__name__ for r in results) == ["Sale", "TableError"], results
    assert balance(item=table.cd, place=table.bag) == 20
    assert Movement.objects.filter(reason=Reason.RESTOCKED).count() == 1
    assert Sale.objects.get(pk=sale.pk).status == Sale.Status.VOIDED
    from disquaire.core.models import ActivityEntry

    assert ActivityEntry.objects.filter(action="table.sale_void").count() == 1


def test_control_without_the_sale_lock_two_voids_return_the_units_twice(
    monkeypatch: pytest.MonkeyPatch,
):
    from disquaire.table import sale_services
    from tests.meeting import meeting_point

    table = table_build(cds=20, shirts=0)
    raw = Device().sale(table, [(table.deal, 1)])
    services.sale_take(seller=table.seller, raw=raw)
    sale = Sale.objects.get(pk=raw["id"])
    meet = meeting_point(2)
    checked = sale_services._void_refusal

    def check_then_meet(locked: Sale) -> str | None:
        refusal = checked(locked)
        meet()
        return refusal

    monkeypatch.setattr(sale_services, "_sale_lock", lambda pk: Sale.objects.get(pk=pk))
    monkeypatch.setattr(sale_services, "_void_refusal", check_then_meet)
    results = run_at_once(
        2, lambda i: services.sale_void(sale=sale, reason=f"mistake {i}", by=f"member {i}")
    )
    assert [type(r).__name__ for r in results] == ["Sale", "Sale"], results
    # Both passed the check: the two CDs came back twice.
    assert balance(item=table.cd, place=table.bag) == 22
