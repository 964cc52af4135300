"""Test orders: marked in the band's lists, never counted as sales, deletable at once."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from disquaire.backstage.services.orders import test_orders_delete
from disquaire.backstage.stats import chart_build
from disquaire.core.models import ActivityEntry
from disquaire.delivery.models import Entitlement
from disquaire.delivery.services import entitlements_grant_order
from disquaire.orders.models import Order, Payment, Reservation
from disquaire.orders.selectors import units_left
from disquaire.orders.services import payment_confirm, payment_create
from disquaire.selling.models import Offer
from tests.backstage.conftest import Band
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db


def _url(name: str, band: Band, **kwargs: Any) -> str:
    return reverse(f"backstage:{name}", kwargs={"artist": band.artist.slug, **kwargs})


def _paid(band: Band, *, test: bool, offer: Offer | None = None, **kwargs: Any) -> Order:
    offer = offer or OfferFactory(release=band.release, title="Album", price_minor=1000)
    order = order_for(offer, **kwargs)
    if test:
        Order.objects.filter(pk=order.pk).update(is_test=True)
    payment_confirm(payment=payment_create(order=order, provider="test" if test else "manual"))
    order.refresh_from_db()
    return order


def test_test_orders_are_left_out_of_sales_revenue_and_rankings(band: Band) -> None:
    _paid(band, test=False)
    _paid(band, test=True)
    _paid(band, test=True)
    sales = chart_build(key="sales", artist=band.artist)
    assert sales.rows[-1][1] == [1, 1000]
    assert dict(chart_build(key="offers", artist=band.artist).rows)["Album"] == [1, 1000]
    assert sum(v[0] for _k, v in chart_build(key="countries", artist=band.artist).rows) == 1


def test_the_csv_export_leaves_test_orders_out_unless_asked(band: Band) -> None:
    real = _paid(band, test=False)
    fake = _paid(band, test=True)
    body = band.client.get(_url("orders_export", band)).content.decode()
    codes = {row["code"] for row in csv.DictReader(io.StringIO(body))}
    assert codes == {real.code}
    only_tests = band.client.get(_url("orders_export", band) + "?test=yes").content.decode()
    assert {row["code"] for row in csv.DictReader(io.StringIO(only_tests))} == {fake.code}


def test_the_orders_list_marks_test_orders_and_the_packing_list_skips_them(band: Band) -> None:
    parcel = OfferFactory(release=band.release, kind=Offer.Kind.PHYSICAL, title="CD")
    real = _paid(band, test=False, offer=parcel)
    fake = _paid(band, test=True, offer=parcel)
    page = band.client.get(_url("orders", band)).content.decode()
    row = page[page.index(fake.code) : page.index("</tr>", page.index(fake.code))]
    assert 'class="badge badge-test"' in row
    assert (
        'badge-test"'
        not in page[page.index(real.code) : page.index("</tr>", page.index(real.code))]
    )
    detail = band.client.get(_url("order", band, code=fake.code)).content.decode()
    assert "A test order: no money moved" in detail
    packing = band.client.get(_url("packing_list", band)).content.decode()
    assert real.code in packing and fake.code not in packing


def test_deleting_test_orders_takes_only_them_with_their_downloads_and_holds(band: Band) -> None:
    stocked = OfferFactory(release=band.release, price_minor=800, stock=5)
    real = _paid(band, test=False, offer=stocked)
    fake = _paid(band, test=True, offer=stocked, quantity=2)
    pending = order_for(stocked)  # a test checkout left unpaid, holding a unit
    Order.objects.filter(pk=pending.pk).update(is_test=True)
    for order in (real, fake):
        entitlements_grant_order(
            order_id=order.pk, email=order.email, source="order", ref=f"order:{order.code}"
        )
    assert units_left(offer=stocked) == 1
    response = band.client.post(_url("payments", band), {"action": "test_delete"})
    assert response.status_code == 302
    assert list(Order.objects.values_list("code", flat=True)) == [real.code]
    assert Payment.objects.filter(order=real).exists() and Payment.objects.count() == 1
    assert set(Entitlement.objects.values_list("source_ref", flat=True)) == {f"order:{real.code}"}
    assert not Reservation.objects.exclude(line__order=real).exists()
    assert units_left(offer=stocked) == 4
    entry = ActivityEntry.objects.get(action="orders.test_delete", artist_id=band.artist.pk)
    assert entry.after["count"] == 2 and set(entry.after["codes"]) == {fake.code, pending.code}
    assert not ActivityEntry.objects.filter(order_id__in=[fake.pk, pending.pk]).exists()
    assert entry.actor.startswith("backstage:")


def test_deleting_with_no_test_orders_changes_nothing(band: Band) -> None:
    _paid(band, test=False)
    assert test_orders_delete(artist=band.artist, actor="band") == 0
    assert Order.objects.count() == 1 and not ActivityEntry.objects.filter(
        action="orders.test_delete"
    )


def test_another_bands_owner_cannot_delete_these_test_orders(band: Band, stranger: Band) -> None:
    _paid(band, test=True)
    response = stranger.client.post(_url("payments", band), {"action": "test_delete"})
    assert response.status_code == 404
    assert Order.objects.count() == 1


def test_deleting_a_paid_test_order_puts_its_stock_items_back(band: Band) -> None:
    from disquaire.selling.models import OfferItem
    from disquaire.stock import selectors as stock_selectors
    from disquaire.stock import services as stock_services
    from disquaire.stock.models import Movement, Reason

    cd = stock_services.item_create(artist=band.artist, name="CD")
    home = stock_services.place_default(artist=band.artist)
    stock_services.movement_record(item=cd, quantity=10, reason=Reason.RECEIVED, to_place=home)
    offer = OfferFactory(release=band.release, kind=Offer.Kind.PHYSICAL, price_minor=1200)
    OfferItem.objects.create(offer=offer, item=cd, quantity=1)
    _paid(band, test=True, offer=offer, quantity=3)
    assert stock_selectors.balance(item=cd, place=home) == 7
    test_orders_delete(artist=band.artist, actor="test")
    assert stock_selectors.balance(item=cd, place=home) == 10
    back = Movement.objects.get(reason=Reason.RESTOCKED)
    assert (back.quantity, back.note) == (3, "test order deleted")
    assert stock_selectors.balance_drift() == []
