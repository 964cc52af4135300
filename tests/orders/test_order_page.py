"""The order page and the receipt: thanks, what was bought, what happens next, and the
amounts and dates as each language writes them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from disquaire.orders.models import Order
from disquaire.orders.selectors import order_page_path
from disquaire.orders.services import payment_confirm, payment_create
from disquaire.selling.models import Offer
from tests.shop.factories import OfferFactory, PaymentSettingsFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_a_paid_cd_order_thanks_the_fan_and_says_what_happens_next(client: Client) -> None:
    order = order_for(OfferFactory(kind=Offer.Kind.PHYSICAL, price_minor=1200, title="CD"))
    payment_confirm(payment=payment_create(order=order, provider="stripe"))
    page = client.get(order_page_path(order)).content.decode()
    assert "Thank you for your order!" in page
    assert "posts it to the address below" in page
    assert "€12.00" in page and "State:" not in page
    french = client.get(order_page_path(order), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Merci pour votre commande" in french and f"12,00{NBSP}€" in french


def test_a_bank_transfer_order_gives_the_amount_the_reference_and_the_bands_details(
    client: Client,
) -> None:
    offer = OfferFactory(price_minor=900)
    PaymentSettingsFactory(
        artist=offer.artist,
        test_mode=False,
        bank_holder="",
        bank_iban="",
        bank_instructions="IBAN FR76 1234",
    )
    order = order_for(offer)
    payment_create(order=order, provider="manual", started_ref=f"manual-{order.code}")
    page = client.get(order_page_path(order)).content.decode()
    assert "One step left: your bank transfer" in page
    assert f'<strong class="order-ref">{order.code}</strong>' in page
    assert "IBAN FR76 1234" in page and "€9.00" in page


def test_a_test_order_is_marked_on_its_page_and_its_receipt(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    order = order_for(OfferFactory())
    # As the checkout does: an order made with the test payment is a test order.
    Order.objects.filter(pk=order.pk).update(is_test=True)
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirm(payment=payment_create(order=order, provider="test"))
    assert "TEST ORDER" in client.get(order_page_path(order)).content.decode()
    (receipt,) = mail.outbox
    assert receipt.subject.startswith("[TEST] ")


def test_the_receipt_is_written_in_the_buyers_language(
    django_capture_on_commit_callbacks: Any,
) -> None:
    order = order_for(OfferFactory(kind=Offer.Kind.PHYSICAL, price_minor=1550))
    order.language = "fr"
    order.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirm(payment=payment_create(order=order, provider="stripe"))
    (receipt,) = [m for m in mail.outbox if m.to == [order.email]]
    assert "Merci pour votre commande" in receipt.body
    assert f"15,50{NBSP}€" in receipt.body and "15.50 EUR" not in receipt.body
    assert "Paris" in receipt.body and "France" in receipt.body
    html = receipt.alternatives[0][0]
    assert "Merci pour votre commande" in html and f"15,50{NBSP}€" in html
