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
from disquaire.table.models import Sale
from tests.meeting import run_at_once
from tests.table.helpers import Device, table_build

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
