"""A paid order opens the downloads of what it bought; a refund closes them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from disquaire.delivery.models import Entitlement
from disquaire.orders.models import Order, OrderState, Payment
from disquaire.orders.refunds import payment_refund
from disquaire.orders.selectors import order_page_path
from disquaire.selling.models import Offer
from tests.factories import ReleaseFactory
from tests.shop.factories import OfferFactory, PaymentSettingsFactory
from tests.shop.helpers import checkout_post

pytestmark = pytest.mark.django_db


def _buy(client: Client, offer: Offer, capture: Any) -> Order:
    client.post("/cart/add/", {"offer": offer.pk})
    response = checkout_post(client, offer.artist, {"email": "Fan@Example.org", "provider": "test"})
    with capture(execute=True):
        client.post(response["Location"], {"outcome": "success"})
    order = Order.objects.get()
    assert order.state == OrderState.PAID
    return order


def test_paid_digital_order_grants_the_release_and_the_order_page_links_downloads(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    release = ReleaseFactory()
    offer = OfferFactory(release=release, kind=Offer.Kind.DIGITAL, price_minor=800)
    PaymentSettingsFactory(artist=offer.artist)

    order = _buy(client, offer, django_capture_on_commit_callbacks)

    entitlement = Entitlement.objects.get()
    assert (entitlement.email, entitlement.release) == ("fan@example.org", release)
    page = client.get(order_page_path(order)).content.decode()
    assert "Download your music" in page
    link = page.split('class="btn-primary" href="')[1].split('"')[0]
    assert link.startswith("/downloads/")
    assert release.title in client.get(link).content.decode()


def test_physical_only_order_grants_nothing(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    offer = OfferFactory(kind=Offer.Kind.PHYSICAL, price_minor=1500)
    PaymentSettingsFactory(artist=offer.artist)
    from tests.shop.factories import ShippingZoneFactory, ShopSettingsFactory

    ShopSettingsFactory(artist=offer.artist)
    ShippingZoneFactory(artist=offer.artist, countries=["FR"])
    client.post("/cart/add/", {"offer": offer.pk})
    response = checkout_post(client, offer.artist, {
            "email": "fan@example.org", "provider": "test", "name": "A Fan",
            "address": "1 rue du Port", "postcode": "44000", "city": "Nantes", "country": "FR",
        },
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], {"outcome": "success"})
    assert Order.objects.get().state == OrderState.PAID
    assert not Entitlement.objects.exists()


def test_refund_revokes_the_downloads(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    release = ReleaseFactory()
    offer = OfferFactory(release=release, kind=Offer.Kind.DIGITAL, price_minor=800)
    PaymentSettingsFactory(artist=offer.artist)
    order = _buy(client, offer, django_capture_on_commit_callbacks)

    payment_refund(payment=Payment.objects.get(order=order), actor="band")

    order.refresh_from_db()
    assert order.state == OrderState.REFUNDED
    assert Entitlement.objects.get().revoked_at is not None
    assert "Download your music" not in client.get(order_page_path(order)).content.decode()
