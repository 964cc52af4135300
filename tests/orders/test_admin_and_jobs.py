from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils.module_loading import import_string

from disquaire.orders.models import OrderState, PaymentState
from disquaire.orders.services import payment_create, reservations_expire
from disquaire.selling.models import Offer
from tests.factories import UserFactory
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_reservation_expiry_is_a_periodic_job() -> None:
    path = "disquaire.orders.services.reservations_expire"
    assert path in settings.DISQUAIRE_PERIODIC
    assert import_string(path) is reservations_expire


@pytest.mark.parametrize(
    "path", ["orders/order", "selling/offer", "selling/shippingzone", "selling/shopsettings"]
)
def test_admin_lists_selling_models(admin_client: Client, path: str) -> None:
    order_for(OfferFactory())
    assert admin_client.get(f"/admin/{path}/").status_code == 200


def test_band_marks_a_bank_transfer_received_in_the_admin(admin_client: Client) -> None:
    order = order_for(OfferFactory(stock=2, kind=Offer.Kind.PHYSICAL))
    payment = payment_create(order=order, provider="manual")
    admin_client.post(
        "/admin/orders/order/",
        {"action": "mark_paid_manual", "_selected_action": [order.pk]},
    )
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.state == OrderState.PAID and payment.state == PaymentState.CONFIRMED
    confirm = order.audit_entries.get(action="payment.confirm")
    assert "@example.org" in confirm.actor
    admin_client.post(
        "/admin/orders/order/",
        {"action": "mark_fulfilled", "_selected_action": [order.pk]},
    )
    order.refresh_from_db()
    assert order.state == OrderState.FULFILLED
    page = admin_client.get(f"/admin/orders/order/{order.pk}/change/")
    assert page.status_code == 200 and b"order.fulfil" in page.content
