"""Placing records in a shop, the sales it reports, counts, returns, statements."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from disquaire.consignment.errors import ConsignmentError
from disquaire.consignment.models import Sale, Shop, Statement
from disquaire.consignment.selectors import shop_summary, statement_lines
from disquaire.consignment.services import (
    Line,
    consignment_place,
    consignment_return,
    count_report,
    sales_report,
    shop_update,
    statement_create,
    statement_mark_paid,
)
from disquaire.consignment.terms import share_per_unit
from disquaire.stock.models import Item, Movement
from disquaire.stock.selectors import balance
from tests.consignment.conftest import Band

pytestmark = pytest.mark.django_db


def test_placing_moves_units_from_home_to_the_shop(band: Band) -> None:
    movement = consignment_place(shop=band.shop, item=band.item, quantity=10, price_minor=1200)
    assert movement.reason == "consigned"
    assert movement.from_place == band.home
    assert movement.to_place == band.shop.place
    assert balance(item=band.item, place=band.shop.place) == 10
    assert balance(item=band.item, place=band.home) == 40


def test_placing_more_than_home_holds_is_refused_with_a_message(band: Band) -> None:
    with pytest.raises(ConsignmentError, match="Only 50"):
        consignment_place(shop=band.shop, item=band.item, quantity=51, price_minor=1200)
    assert balance(item=band.item, place=band.shop.place) == 0
    assert not band.shop.consignments.exists()


def test_a_shop_s_place_is_made_with_it(band: Band) -> None:
    assert band.shop.place.kind == "shop"
    assert band.shop.place.artist == band.artist


def test_reported_sales_leave_the_shop_at_the_day_s_price_and_share(band: Band) -> None:
    consignment_place(shop=band.shop, item=band.item, quantity=10, price_minor=1200)
    report = sales_report(shop=band.shop, lines=[Line(band.item, 3)])
    sale = report.sales.get()
    assert (sale.quantity, sale.price_minor, sale.share_minor) == (3, 1200, 900)
    assert sale.movement.reason == "sold_by_shop"
    assert sale.movement.from_place == band.shop.place
    assert sale.movement.to_place is None
    assert balance(item=band.item, place=band.shop.place) == 7


def test_a_count_records_the_difference_as_sold(band: Band) -> None:
    consignment_place(shop=band.shop, item=band.item, quantity=20, price_minor=900)
    report = count_report(shop=band.shop, counts=[Line(band.item, 13)])
    assert report.sales.get().quantity == 7
    assert balance(item=band.item, place=band.shop.place) == 13
    # Counting the same again sells nothing more.
    again = count_report(shop=band.shop, counts=[Line(band.item, 13)])
    assert not again.sales.exists()


def test_a_count_above_what_the_shop_holds_is_refused(band: Band) -> None:
    consignment_place(shop=band.shop, item=band.item, quantity=5, price_minor=900)
    with pytest.raises(ConsignmentError, match="holds 5"):
        count_report(shop=band.shop, counts=[Line(band.item, 6)])
    assert not band.shop.reports.exists()


def test_over_report_is_refused_and_nothing_is_half_written(band: Band) -> None:
    second = Item.objects.create(artist=band.artist, name="T-shirt", release=None)
    from disquaire.stock.services import movement_record

    movement_record(item=second, quantity=5, reason="received", to_place=band.home)
    consignment_place(shop=band.shop, item=band.item, quantity=4, price_minor=1200)
    consignment_place(shop=band.shop, item=second, quantity=2, price_minor=1500)
    movements = Movement.objects.count()
    with pytest.raises(ConsignmentError, match="cannot have sold 3"):
        sales_report(shop=band.shop, lines=[Line(band.item, 2), Line(second, 3)])
    assert Movement.objects.count() == movements
    assert not Sale.objects.exists()
    assert not band.shop.reports.exists()
    assert balance(item=band.item, place=band.shop.place) == 4


def test_another_band_s_item_cannot_be_placed(band: Band, other: Band) -> None:
    with pytest.raises(ConsignmentError):
        consignment_place(shop=band.shop, item=other.item, quantity=1, price_minor=100)


@pytest.mark.parametrize(
    ("price", "share"),
    [
        (999, 699),  # 30 % of 9.99 is 2.997 → 3.00 kept by the shop
        (1000, 750),  # from 10.00: 25 %
        (1250, 937),  # 25 % of 12.50 is 3.125 → 3.13 kept (half up)
        (0, 0),
    ],
)
def test_tiered_commission_share(price: int, share: int) -> None:
    shop = Shop(commission_bp=3000, tier_from_minor=1000, tier_commission_bp=2500)
    assert share_per_unit(shop=shop, price_minor=price) == share


def test_fixed_amount_share_never_exceeds_the_price() -> None:
    shop = Shop(share_kind="fixed", fixed_minor=800)
    assert share_per_unit(shop=shop, price_minor=1500) == 800
    assert share_per_unit(shop=shop, price_minor=500) == 500


def test_statement_figures(band: Band) -> None:
    consignment_place(shop=band.shop, item=band.item, quantity=10, price_minor=900)
    sales_report(shop=band.shop, lines=[Line(band.item, 2)])  # 2 × 9.00, share 6.30
    consignment_place(shop=band.shop, item=band.item, quantity=1, price_minor=1200)
    sales_report(shop=band.shop, lines=[Line(band.item, 3)])  # 3 × 12.00, share 9.00
    statement = statement_create(shop=band.shop)
    assert statement.number == 1
    assert statement.units == 5
    assert statement.sales_minor == 2 * 900 + 3 * 1200
    assert statement.due_minor == 2 * 630 + 3 * 900
    lines = statement_lines(statement=statement)
    assert [(x.units, x.price_minor, x.share_minor, x.due_minor) for x in lines] == [
        (2, 900, 630, 1260),
        (3, 1200, 900, 2700),
    ]
    assert statement.balance_minor == 3960

    statement = statement_mark_paid(
        statement=statement, amount_minor=1000, paid_on=timezone.localdate(), method="cash"
    )
    assert (statement.paid_minor, statement.balance_minor, statement.is_paid) == (1000, 2960, False)
    with pytest.raises(ConsignmentError):
        statement_mark_paid(
            statement=statement, amount_minor=5000, paid_on=timezone.localdate(), method="x"
        )
    statement = statement_mark_paid(
        statement=statement, paid_on=timezone.localdate(), method="bank transfer"
    )
    assert statement.is_paid and statement.balance_minor == 0
    assert shop_summary(shop=band.shop).due_minor == 0


def test_a_second_statement_takes_only_the_new_sales(band: Band) -> None:
    consignment_place(shop=band.shop, item=band.item, quantity=10, price_minor=900)
    sales_report(shop=band.shop, lines=[Line(band.item, 2)])
    first = statement_create(shop=band.shop)
    with pytest.raises(ConsignmentError):
        statement_create(shop=band.shop, period_end=timezone.localdate() + timedelta(days=1))
    sales_report(shop=band.shop, lines=[Line(band.item, 1)])
    second = statement_create(shop=band.shop, period_end=timezone.localdate() + timedelta(days=1))
    assert (first.units, second.units, second.number) == (2, 1, 2)
    assert Statement.objects.filter(shop=band.shop).count() == 2


def test_terms_changed_later_do_not_change_reported_sales(band: Band) -> None:
    consignment_place(shop=band.shop, item=band.item, quantity=10, price_minor=900)
    sales_report(shop=band.shop, lines=[Line(band.item, 1)])
    shop_update(shop=band.shop, commission_bp=5000)
    sales_report(shop=band.shop, lines=[Line(band.item, 1)])
    assert list(Sale.objects.order_by("pk").values_list("share_minor", flat=True)) == [630, 450]


def test_returns_bring_units_home_and_over_returns_are_refused(band: Band) -> None:
    consignment_place(shop=band.shop, item=band.item, quantity=6, price_minor=900)
    movement = consignment_return(shop=band.shop, item=band.item, quantity=4)
    assert movement.reason == "returned" and movement.to_place == band.home
    assert balance(item=band.item, place=band.shop.place) == 2
    with pytest.raises(ConsignmentError, match="holds 2"):
        consignment_return(shop=band.shop, item=band.item, quantity=3)


def test_sell_through_per_shop_and_item(band: Band) -> None:
    consignment_place(shop=band.shop, item=band.item, quantity=8, price_minor=900)
    sales_report(shop=band.shop, lines=[Line(band.item, 2)])
    consignment_return(shop=band.shop, item=band.item, quantity=1)
    summary = shop_summary(shop=band.shop)
    line = summary.lines[0]
    assert (line.placed, line.sold, line.returned, line.left) == (8, 2, 1, 5)
    assert line.sell_through == 25
    assert summary.sell_through == 25
    assert summary.out == 5
    assert summary.due_minor == 2 * 630
