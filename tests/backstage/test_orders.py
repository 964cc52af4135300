"""Backstage orders: search, detail, bank transfers, shipping with tracking, refunds, exports."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from disquaire.orders.models import OrderState, Payment, PaymentState, Refund
from disquaire.orders.services import payment_confirm, payment_create
from disquaire.selling.models import Offer
from tests.backstage.conftest import Band
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db


def _url(name: str, band: Band, **kwargs: Any) -> str:
    return reverse(f"backstage:{name}", kwargs={"artist": band.artist.slug, **kwargs})


def _paid_parcel(band: Band, email: str = "fan@example.org") -> Any:
    offer = OfferFactory(release=band.release, kind=Offer.Kind.PHYSICAL, title="Vinyl LP")
    order = order_for(offer, email=email)
    payment_confirm(payment=payment_create(order=order, provider="test"))
    order.refresh_from_db()
    return order


def test_search_by_email_and_filter_by_shipping(band: Band) -> None:
    parcel = _paid_parcel(band, email="marie@example.org")
    digital = order_for(OfferFactory(release=band.release), email="paul@example.org")
    page = band.client.get(_url("orders", band), {"q": "marie"}).content.decode()
    assert parcel.code in page and digital.code not in page
    page = band.client.get(_url("orders", band), {"ships": "no"}).content.decode()
    assert digital.code in page and parcel.code not in page
    page = band.client.get(_url("orders", band), {"state": "paid"}).content.decode()
    assert parcel.code in page and digital.code not in page


def test_stranger_orders_never_listed(band: Band, stranger: Band) -> None:
    theirs = order_for(OfferFactory(release=stranger.release))
    assert theirs.code not in band.client.get(_url("orders", band)).content.decode()


def test_bank_transfer_marked_received_pays_the_order(band: Band) -> None:
    order = order_for(OfferFactory(release=band.release))
    payment = payment_create(order=order, provider="manual")
    response = band.client.post(
        _url("order_mark_paid", band, code=order.code), {"payment": payment.pk}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    payment.refresh_from_db()
    assert (order.state, payment.state) == (OrderState.PAID, PaymentState.CONFIRMED)
    assert "backstage:" in order.audit_entries.last().actor  # type: ignore[union-attr]


def test_mark_shipped_keeps_tracking_number_and_emails_the_fan(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    order = _paid_parcel(band)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        band.client.post(
            _url("order_ship", band, code=order.code), {"tracking_number": " 6A123456789 "}
        )
    order.refresh_from_db()
    assert (order.state, order.tracking_number) == (OrderState.FULFILLED, "6A123456789")
    assert len(mail.outbox) == 1
    assert "6A123456789" in mail.outbox[0].body and "shipped" in mail.outbox[0].subject


def test_unpaid_order_cannot_be_shipped(band: Band) -> None:
    order = order_for(OfferFactory(release=band.release, kind=Offer.Kind.PHYSICAL))
    band.client.post(_url("order_ship", band, code=order.code), {"tracking_number": "X"})
    order.refresh_from_db()
    assert order.state == OrderState.PENDING and order.tracking_number == ""


def test_refund_through_the_test_provider_is_done(band: Band) -> None:
    order = _paid_parcel(band)
    payment = Payment.objects.get(order=order)
    response = band.client.post(
        _url("order_refund", band, code=order.code),
        {"payment": payment.pk, "reason": "damaged"},
        follow=True,
    )
    refund = Refund.objects.get(payment=payment)
    assert refund.state == Refund.State.DONE
    assert "Refunded" in response.content.decode()


def test_refund_of_a_bank_transfer_is_flagged_for_the_band(band: Band) -> None:
    order = order_for(OfferFactory(release=band.release))
    payment = payment_create(order=order, provider="manual")
    band.client.post(_url("order_mark_paid", band, code=order.code), {"payment": payment.pk})
    response = band.client.post(
        _url("order_refund", band, code=order.code), {"payment": payment.pk}, follow=True
    )
    assert Refund.objects.get(payment=payment).state == Refund.State.MANUAL
    assert "cannot refund by itself" in response.content.decode()
    order.refresh_from_db()
    assert order.needs_attention
    page = band.client.get(_url("orders", band), {"attention": "1"}).content.decode()
    assert order.code in page


def test_payment_of_another_order_is_refused(band: Band) -> None:
    order = _paid_parcel(band)
    other = _paid_parcel(band, email="b@example.org")
    payment = Payment.objects.get(order=other)
    response = band.client.post(
        _url("order_refund", band, code=order.code), {"payment": payment.pk}
    )
    assert response.status_code == 404 and not Refund.objects.exists()


def test_detail_shows_lines_payments_and_history(band: Band) -> None:
    order = _paid_parcel(band)
    page = band.client.get(_url("order", band, code=order.code)).content.decode()
    assert "Vinyl LP" in page and "Order of €10.00 placed" in page and "Mark shipped" in page
    assert "order.create" not in page  # the history is told in words, not log lines


def test_packing_list_has_paid_unshipped_parcels_only(band: Band) -> None:
    parcel = _paid_parcel(band)
    pending = order_for(OfferFactory(release=band.release, kind=Offer.Kind.PHYSICAL))
    page = band.client.get(_url("packing_list", band)).content.decode()
    assert parcel.code in page and pending.code not in page and "1 rue" in page


def test_csv_export_lists_lines_and_neutralises_formulas(band: Band) -> None:
    order = _paid_parcel(band, email="fan@example.org")
    order.ship_name = "=HYPERLINK(1)"
    order.save(update_fields=["ship_name"])
    response = band.client.get(_url("orders_export", band))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["code"] == order.code and rows[0]["item"] == "Vinyl LP"
    assert rows[0]["total"] == "10.00" and rows[0]["ship_name"] == "'=HYPERLINK(1)"
