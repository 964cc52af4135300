"""The band's consignment and stock actions are in its activity log (core.audit)."""

from __future__ import annotations

import datetime

import pytest

from disquaire.consignment.services import (
    Line,
    consignment_place,
    sales_report,
    shop_link_revoke,
    statement_create,
    statement_mark_paid,
)
from disquaire.core.audit import acting_as, activity_for_artist
from disquaire.stock import services as stock_services
from tests.consignment.conftest import Band

pytestmark = pytest.mark.django_db


def test_statements_payments_and_the_link_are_in_the_activity_log(band: Band) -> None:
    consignment_place(shop=band.shop, item=band.item, quantity=10, price_minor=1200)
    sales_report(shop=band.shop, lines=[Line(band.item, 3)])
    with acting_as("backstage:owner@example.org"):
        statement = statement_create(shop=band.shop)
        statement_mark_paid(statement=statement, paid_on=datetime.date(2026, 3, 1), method="cash")
        shop_link_revoke(shop=band.shop)
    entries = list(activity_for_artist(artist_id=band.artist.pk, action_prefix="consignment."))
    assert [e.action for e in entries] == [
        "consignment.link_revoke", "consignment.statement_paid", "consignment.statement_create",
    ]  # fmt: skip
    assert {e.actor for e in entries} == {"backstage:owner@example.org"}
    paid = entries[1]
    assert paid.before == {"paid_minor": 0} and paid.after["paid_minor"] == statement.due_minor


def test_item_and_place_edits_are_in_the_activity_log(band: Band) -> None:
    item = stock_services.item_create(artist=band.artist, name="Tote bag")
    stock_services.item_update(item=item, name="Tote", numbered=False, low_stock_at=3)
    stock_services.place_save(artist=band.artist, name="Van", kind="bag")
    stock_services.item_delete(item=item)
    actions = [e.action for e in activity_for_artist(artist_id=band.artist.pk,
                                                      action_prefix="stock.")]  # fmt: skip
    assert actions[:4] == [
        "stock.item_delete", "stock.place_save", "stock.item_update", "stock.item_create",
    ]  # fmt: skip
    update = activity_for_artist(artist_id=band.artist.pk, action_prefix="stock.item_update")[0]
    assert update.before["name"] == "Tote bag" and update.after["name"] == "Tote"
