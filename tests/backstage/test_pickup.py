"""Local pick-up and cash on collection, from the band's side: settings, the desk, the
order page's actions (collected and paid in cash, collected), mails, CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from disquaire.delivery.models import Entitlement
from disquaire.orders.models import Delivery, Order, OrderState, Payment, PaymentState
from disquaire.orders.selectors import units_left
from disquaire.orders.services import (
    Address,
    LineSpec,
    order_create_paying,
    payment_confirm,
)
from disquaire.payments.models import PaymentSettings
from disquaire.selling.models import Offer, ShopSettings
from tests.backstage.conftest import Band
from tests.shop.factories import OfferFactory, ShopSettingsFactory

pytestmark = pytest.mark.django_db

PLACE = "Rehearsal studio, 12 rue X, Nantes — Thursdays 18–20h"


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _url(name: str, band: Band, **kwargs: Any) -> str:
    return reverse(f"backstage:{name}", kwargs={"artist": band.artist.slug, **kwargs})


def _pickup(band: Band, *, provider: str = "cash", stock: int | None = 2) -> tuple[Order, Payment]:
    """A pick-up order of a CD with its download, as the checkout makes it."""
    offer = OfferFactory(
        release=band.release, kind=Offer.Kind.BUNDLE, title="Sous la pluie (CD)", stock=stock
    )
    ShopSettingsFactory(artist=band.artist, pickup_enabled=True, pickup_place=PLACE)
    return order_create_paying(
        provider=provider,
        started=True,
        artist=band.artist,
        email="fan@example.org",
        lines=[LineSpec(offer=offer, option=None, quantity=1, unit_price_minor=1200)],
        address=Address(name="Marie"),
        delivery=Delivery.PICKUP,
        pickup_place=PLACE,
    )


def test_the_band_turns_pick_up_on_with_a_place_in_the_shop_settings(band: Band) -> None:
    url = _url("shop_settings", band)
    refused = band.client.post(url, {"ship_from_country": "FR", "pickup_enabled": "on"})
    assert refused.status_code == 200 and "Say where and when" in refused.content.decode()
    response = band.client.post(
        url, {"ship_from_country": "FR", "pickup_enabled": "on", "pickup_place": PLACE}
    )
    assert response.status_code == 302
    found = ShopSettings.objects.get(artist=band.artist)
    assert (found.pickup_enabled, found.pickup_place) == (True, PLACE)


def test_cash_on_collection_is_turned_on_on_the_payments_page_and_says_when_it_is_ready(
    band: Band,
) -> None:
    url = _url("payments", band)
    assert band.client.post(url, {"action": "cash_on"}).status_code == 302
    assert PaymentSettings.objects.get(artist=band.artist).cash_enabled
    page = band.client.get(url).content.decode()
    assert 'data-cash-state="not-ready"' in page and "turn on local pick-up" in page
    ShopSettingsFactory(artist=band.artist, pickup_enabled=True, pickup_place=PLACE)
    page = band.client.get(url).content.decode()
    assert 'data-cash-state="ready"' in page
    band.client.post(url, {"action": "cash_off"})
    assert not PaymentSettings.objects.get(artist=band.artist).cash_enabled


def test_the_band_is_told_to_prepare_a_cash_pick_up_as_soon_as_it_is_placed(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        order, payment = _pickup(band)
    (message,) = [m for m in mail.outbox if m.to == [band.user.email]]
    assert "to prepare for pick-up" in message.subject and order.code in message.subject
    assert "Marie" in message.body and PLACE in message.body
    assert "To be paid in cash on collection: €12.00" in message.body
    # Paid later, at collection: not told again (the same event).
    with django_capture_on_commit_callbacks(execute=True):
        band.client.post(_url("order_mark_paid", band, code=order.code), {"payment": payment.pk})
    assert len([m for m in mail.outbox if m.to == [band.user.email]]) == 1


def test_the_desk_lists_cash_orders_to_collect(band: Band) -> None:
    order, _payment = _pickup(band)
    page = band.client.get(_url("desk", band)).content.decode()
    assert "1 order to collect and pay in cash" in page and order.code in page
    assert "Collected and paid in cash" in page


def test_collected_and_paid_in_cash_pays_sells_collects_and_opens_the_download(
    band: Band,
) -> None:
    order, payment = _pickup(band, stock=2)
    page = band.client.get(_url("order", band, code=order.code)).content.decode()
    assert "Collected and paid in cash" in page and "Local pick-up" in page and PLACE in page
    assert "Mark shipped" not in page
    assert not Entitlement.objects.exists()  # nothing to download before the cash is paid
    response = band.client.post(
        _url("order_mark_paid", band, code=order.code), {"payment": payment.pk}, follow=True
    )
    assert "is paid in cash and collected" in response.content.decode()
    order.refresh_from_db()
    payment.refresh_from_db()
    assert (order.state, payment.state) == (OrderState.FULFILLED, PaymentState.CONFIRMED)
    entries = list(order.audit_entries.values_list("action", "actor"))
    assert ("order.paid", f"backstage:{band.user.email}") in entries
    assert ("order.collect", f"backstage:{band.user.email}") in entries
    offer = order.lines.get().offer
    assert units_left(offer=offer) == 1  # sold, not held any more nor given back
    # The download of the bundle is granted once paid (not while waiting for the cash).
    assert Entitlement.objects.filter(email="fan@example.org", release=band.release).exists()
    history = band.client.get(_url("order", band, code=order.code)).content.decode()
    assert "Collected by the fan" in history and "cash on collection" in history


def test_the_receipt_of_a_cash_pick_up_says_it_was_paid_in_cash(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    order, payment = _pickup(band)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        band.client.post(_url("order_mark_paid", band, code=order.code), {"payment": payment.pk})
    receipts = [m for m in mail.outbox if m.to == ["fan@example.org"]]
    assert len(receipts) == 1
    assert "Paid in cash when you collected your order." in receipts[0].body


def test_a_stranger_cannot_mark_a_cash_order_collected_and_paid(band: Band, stranger: Band) -> None:
    order, payment = _pickup(band)
    response = stranger.client.post(
        _url("order_mark_paid", band, code=order.code), {"payment": payment.pk}
    )
    assert response.status_code == 404
    order.refresh_from_db()
    payment.refresh_from_db()
    assert (order.state, payment.state) == (OrderState.PENDING, PaymentState.PENDING)


def test_a_pick_up_paid_online_is_marked_collected_not_shipped(band: Band) -> None:
    order, payment = _pickup(band, provider="test")
    payment_confirm(payment=payment)
    page = band.client.get(_url("order", band, code=order.code)).content.decode()
    assert "Mark collected" in page and "Tracking number" not in page
    packing = band.client.get(_url("packing_list", band)).content.decode()
    assert order.code in packing and "Local pick-up" in packing and "Marie" in packing
    mail.outbox.clear()
    band.client.post(_url("order_ship", band, code=order.code), {"tracking_number": "X1"})
    order.refresh_from_db()
    assert (order.state, order.tracking_number) == (OrderState.FULFILLED, "")
    assert order.audit_entries.filter(action="order.collect").exists()
    assert not [m for m in mail.outbox if m.to == ["fan@example.org"]]  # no "shipped" mail


def test_the_orders_list_and_csv_say_pick_up(band: Band) -> None:
    order, payment = _pickup(band)
    payment_confirm(payment=payment)
    page = band.client.get(_url("orders", band)).content.decode()
    assert "pick-up" in page
    body = band.client.get(_url("orders_export", band)).content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows[0]["code"] == order.code and rows[0]["delivery"] == "pickup"


def test_pressing_collected_and_paid_twice_records_it_once(band: Band) -> None:
    order, payment = _pickup(band)
    url = _url("order_mark_paid", band, code=order.code)
    band.client.post(url, {"payment": payment.pk})
    again = band.client.post(url, {"payment": payment.pk}, follow=True)
    assert "is paid in cash and collected" in again.content.decode()
    assert order.audit_entries.filter(action="order.collect").count() == 1
    assert order.audit_entries.filter(action="payment.confirm").count() == 1
