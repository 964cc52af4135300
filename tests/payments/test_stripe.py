"""Stripe Checkout against the local fake of Stripe's API, webhooks signed as Stripe does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from disquaire.orders.models import (
    Order,
    OrderState,
    Payment,
    PaymentState,
    Refund,
)
from disquaire.orders.selectors import units_left
from disquaire.orders.services import (
    OrderError,
    payment_confirm,
    payment_create,
    reservations_expire,
)
from disquaire.payments.models import WebhookEvent
from disquaire.payments.providers.stripe import StripeProvider
from disquaire.selling.models import Offer
from tests.payments.fake_stripe import FakeStripe, sign
from tests.shop.factories import OfferFactory
from tests.shop.helpers import checkout_post, fake_request, order_for

pytestmark = pytest.mark.django_db

WEBHOOK = "/payments/stripe/webhook/"


def started(fake: FakeStripe, offer: Offer | None = None, quantity: int = 1) -> Payment:
    order = order_for(offer or OfferFactory(price_minor=1500, stock=5), quantity=quantity)
    payment = payment_create(order=order, provider="stripe")
    url = StripeProvider().start_checkout(payment, fake_request())
    assert url.startswith(fake.base + "/pay/cs_test_")
    payment.refresh_from_db()
    return payment


def deliver(client: Client, body: bytes, signature: str) -> Any:
    return client.post(
        WEBHOOK, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def completed(fake: FakeStripe, payment: Payment, event_id: str | None = None) -> tuple[bytes, str]:
    session = fake.complete(payment.provider_ref)
    return fake.event("checkout.session.completed", session, event_id=event_id)


def test_checkout_session_carries_minor_units_and_the_payment_id(fake_stripe: FakeStripe) -> None:
    payment = started(fake_stripe, quantity=2)
    session = fake_stripe.sessions[payment.provider_ref]
    assert payment.state == PaymentState.PENDING
    assert session["amount_total"] == 3000 and session["currency"] == "eur"
    assert session["line_items_sent"]["0"]["price_data"]["unit_amount"] == "1500"
    assert session["client_reference_id"] == str(payment.pk)
    assert session["metadata"]["payment_id"] == str(payment.pk)
    assert f"/orders/{payment.order.code}/" in session["success_url"]
    assert f"/orders/{payment.order.code}/" in session["cancel_url"]


def test_completed_webhook_marks_the_order_paid(fake_stripe: FakeStripe, client: Client) -> None:
    payment = started(fake_stripe)
    response = deliver(client, *completed(fake_stripe, payment))
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.state == PaymentState.CONFIRMED
    assert payment.order.state == OrderState.PAID
    assert ("GET", f"/v1/checkout/sessions/{payment.provider_ref}") in fake_stripe.requests


def test_second_webhook_delivery_does_not_fulfil_twice(
    fake_stripe: FakeStripe, client: Client
) -> None:
    payment = started(fake_stripe)
    body, signature = completed(fake_stripe, payment, event_id="evt_same")
    assert deliver(client, body, signature).status_code == 200
    again = deliver(client, body, signature)
    assert again.status_code == 200 and b"already" in again.content
    assert WebhookEvent.objects.filter(event_id="evt_same").count() == 1
    assert payment.order.audit_entries.filter(action="order.paid").count() == 1


def test_bad_signature_is_refused_and_nothing_is_stored(
    fake_stripe: FakeStripe, client: Client
) -> None:
    payment = started(fake_stripe)
    body, _ = completed(fake_stripe, payment)
    forged = sign(body.decode(), "whsec_someone_else")
    assert deliver(client, body, forged).status_code == 400
    assert deliver(client, body, "").status_code == 400
    assert (
        deliver(client, body + b" ", sign(body.decode(), fake_stripe.webhook_secret)).status_code
        == 400
    )
    stale = sign(body.decode(), fake_stripe.webhook_secret, timestamp=1_000_000)
    assert deliver(client, body, stale).status_code == 400
    assert WebhookEvent.objects.count() == 0
    payment.refresh_from_db()
    assert payment.state == PaymentState.PENDING


def test_event_claiming_payment_is_checked_against_the_api(
    fake_stripe: FakeStripe, client: Client
) -> None:
    payment = started(fake_stripe)
    # Correctly signed, but the session at the API is not paid: nothing happens.
    claimed = dict(fake_stripe.sessions[payment.provider_ref], payment_status="paid")
    assert (
        deliver(client, *fake_stripe.event("checkout.session.completed", claimed)).status_code
        == 200
    )
    payment.refresh_from_db()
    assert payment.state == PaymentState.PENDING


def test_out_of_order_expired_event_after_completion_changes_nothing(
    fake_stripe: FakeStripe, client: Client
) -> None:
    payment = started(fake_stripe)
    session = fake_stripe.complete(payment.provider_ref)
    expired = dict(session, status="expired")
    deliver(client, *fake_stripe.event("checkout.session.expired", expired))
    payment.refresh_from_db()
    # The API says the session was paid: the "expired" event is stale, the payment counts.
    assert payment.state == PaymentState.CONFIRMED
    deliver(client, *fake_stripe.event("checkout.session.completed", session))
    assert payment.order.audit_entries.filter(action="order.paid").count() == 1


def test_expired_session_cancels_the_payment_but_a_later_completion_still_counts(
    fake_stripe: FakeStripe, client: Client
) -> None:
    payment = started(fake_stripe)
    deliver(
        client,
        *fake_stripe.event("checkout.session.expired", fake_stripe.expire(payment.provider_ref)),
    )
    payment.refresh_from_db()
    assert payment.state == PaymentState.CANCELED
    fake_stripe.sessions[payment.provider_ref]["status"] = "open"
    deliver(client, *completed(fake_stripe, payment))
    payment.refresh_from_db()
    assert payment.state == PaymentState.CONFIRMED


def test_payment_after_hold_expired_and_sold_out_is_refunded_at_stripe(
    fake_stripe: FakeStripe, client: Client
) -> None:
    offer = OfferFactory(price_minor=2000, stock=1, numbered=True)
    payment = started(fake_stripe, offer)
    reservations_expire(now=timezone.now() + dt.timedelta(minutes=31))
    rival = payment_create(order=order_for(offer), provider="test")
    payment_confirm(payment=rival)
    assert deliver(client, *completed(fake_stripe, payment)).status_code == 200
    payment.refresh_from_db()
    assert payment.state == PaymentState.REFUNDED
    assert payment.order.state == OrderState.CANCELLED
    assert [r["amount"] for r in fake_stripe.refunds] == [2000]
    assert Refund.objects.get(payment=payment).provider_ref == fake_stripe.refunds[0]["id"]
    assert units_left(offer=offer) == 0


def test_failed_refund_at_stripe_flags_the_order(fake_stripe: FakeStripe, client: Client) -> None:
    offer = OfferFactory(stock=1)
    payment = started(fake_stripe, offer)
    reservations_expire(now=timezone.now() + dt.timedelta(minutes=31))
    payment_confirm(payment=payment_create(order=order_for(offer), provider="test"))
    fake_stripe.fail_refunds = True
    deliver(client, *completed(fake_stripe, payment))
    payment.refresh_from_db()
    assert payment.order.needs_attention
    assert Refund.objects.get(payment=payment).state == Refund.State.FAILED


def test_refund_made_in_the_dashboard_marks_the_order_refunded(
    fake_stripe: FakeStripe, client: Client
) -> None:
    payment = started(fake_stripe)
    deliver(client, *completed(fake_stripe, payment))
    payment.refresh_from_db()
    intent = payment.provider_data["payment_intent"]
    charge = fake_stripe.refund_at_dashboard(intent, payment.amount_minor)
    assert deliver(client, *fake_stripe.event("charge.refunded", charge)).status_code == 200
    payment.refresh_from_db()
    assert payment.state == PaymentState.REFUNDED
    assert payment.order.state == OrderState.REFUNDED
    # Replayed with another event id: nothing more to refund.
    assert deliver(client, *fake_stripe.event("charge.refunded", charge)).status_code == 200
    assert Refund.objects.filter(payment=payment).count() == 1


def test_unknown_event_types_are_acknowledged_and_ignored(
    fake_stripe: FakeStripe, client: Client
) -> None:
    response = deliver(client, *fake_stripe.event("customer.created", {"id": "cus_1"}))
    assert response.status_code == 200
    assert WebhookEvent.objects.get().type == "customer.created"


def test_lock_timeout_answers_503_and_the_redelivery_is_processed(
    fake_stripe: FakeStripe, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = started(fake_stripe)
    body, signature = completed(fake_stripe, payment, event_id="evt_busy")

    def busy(**kw: Any) -> None:
        raise OperationalError("canceling statement due to lock timeout")

    monkeypatch.setattr("disquaire.orders.outcomes.payment_confirm", busy)
    assert deliver(client, body, signature).status_code == 503
    monkeypatch.undo()
    assert deliver(client, body, signature).status_code == 200
    payment.refresh_from_db()
    assert payment.state == PaymentState.CONFIRMED


def test_stripe_down_at_checkout_says_so(settings: Any) -> None:
    settings.DISQUAIRE_STRIPE_SECRET_KEY = "sk_test"
    settings.DISQUAIRE_STRIPE_API_BASE = "http://127.0.0.1:9"
    from disquaire.payments.base import ProviderError

    payment = payment_create(order=order_for(OfferFactory()), provider="stripe")
    with pytest.raises((ProviderError, OrderError)):
        StripeProvider().start_checkout(payment, fake_request())


def test_stripe_that_never_answers_is_given_up_on(settings: Any) -> None:
    """A Stripe that accepts the connection and says nothing: our client gives up after
    DISQUAIRE_STRIPE_TIMEOUT a try (three tries), instead of the library's 80 s a try
    that would hold a fan's checkout past nginx's read timeout. The call runs in a
    thread given 30 s: with the library's default it would still be waiting."""
    import socket
    import threading

    import stripe

    from disquaire.payments.providers.stripe import stripe_client

    outcome: list[BaseException] = []
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.DISQUAIRE_STRIPE_SECRET_KEY = "sk_test"
        settings.DISQUAIRE_STRIPE_API_BASE = f"http://127.0.0.1:{silent.getsockname()[1]}"
        settings.DISQUAIRE_STRIPE_TIMEOUT = 0.3
        client = stripe_client()

        def call() -> None:
            try:
                client.v1.balance.retrieve()
            except BaseException as exc:  # handed to the test
                outcome.append(exc)

        worker = threading.Thread(target=call, daemon=True)
        worker.start()
        worker.join(timeout=30)
        assert not worker.is_alive(), "still waiting for a Stripe that never answers"
    assert len(outcome) == 1 and isinstance(outcome[0], stripe.APIConnectionError)


def test_stripe_down_at_checkout_gives_the_units_back(settings: Any, client: Client) -> None:
    settings.DISQUAIRE_STRIPE_SECRET_KEY = "sk_test"
    settings.DISQUAIRE_STRIPE_WEBHOOK_SECRET = "whsec_x"
    settings.DISQUAIRE_STRIPE_API_BASE = "http://127.0.0.1:9"
    offer = OfferFactory(stock=1)
    client.post("/cart/add/", {"offer": offer.pk})
    response = checkout_post(
        client, offer.artist, {"email": "fan@example.org", "provider": "stripe"}
    )
    assert response.status_code == 400 and b"not answering" in response.content
    assert Order.objects.get().state == OrderState.CANCELLED
    assert units_left(offer=offer) == 1


def test_session_paid_with_another_amount_is_flagged_not_confirmed(
    fake_stripe: FakeStripe, client: Client
) -> None:
    payment = started(fake_stripe)
    fake_stripe.sessions[payment.provider_ref]["amount_total"] = 1
    deliver(client, *completed(fake_stripe, payment))
    payment.refresh_from_db()
    assert payment.state == PaymentState.PENDING
    assert payment.order.needs_attention


def test_async_payment_succeeded_confirms_a_delayed_payment(
    fake_stripe: FakeStripe, client: Client
) -> None:
    payment = started(fake_stripe)
    session = fake_stripe.complete(payment.provider_ref)
    deliver(client, *fake_stripe.event("checkout.session.async_payment_succeeded", session))
    payment.refresh_from_db()
    assert payment.state == PaymentState.CONFIRMED


def test_a_delayed_payment_waits_then_its_failure_is_recorded(
    fake_stripe: FakeStripe, client: Client
) -> None:
    offer = OfferFactory(price_minor=1500, stock=3)
    payment = started(fake_stripe, offer)
    session = fake_stripe.complete_delayed(payment.provider_ref)
    deliver(client, *fake_stripe.event("checkout.session.completed", session))
    payment.refresh_from_db()
    # Complete but not paid: the order keeps waiting for the bank.
    assert payment.state == PaymentState.PENDING
    assert units_left(offer=offer) == 2
    failed = fake_stripe.fail_delayed(payment.provider_ref)
    deliver(client, *fake_stripe.event("checkout.session.async_payment_failed", failed))
    payment.refresh_from_db()
    # Failed with its reason; the order stays pending as after a declined card, and its
    # units come back when its hold runs out, as for any unpaid order.
    assert payment.state == PaymentState.FAILED
    assert payment.order.state == OrderState.PENDING


def test_a_failed_event_for_a_delayed_payment_that_succeeded_changes_nothing(
    fake_stripe: FakeStripe, client: Client
) -> None:
    payment = started(fake_stripe)
    session = fake_stripe.complete_delayed(payment.provider_ref)
    fake_stripe.succeed_delayed(payment.provider_ref)
    # A forged or stale "failed" event: the API says paid, and paid it is.
    deliver(client, *fake_stripe.event("checkout.session.async_payment_failed", session))
    payment.refresh_from_db()
    assert payment.state == PaymentState.CONFIRMED


def test_webhook_without_a_configured_secret_is_refused(settings: Any, client: Client) -> None:
    settings.DISQUAIRE_STRIPE_WEBHOOK_SECRET = ""
    body = b'{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}'
    assert deliver(client, body, sign(body.decode(), "")).status_code == 404
    assert WebhookEvent.objects.count() == 0


def test_a_session_of_another_shop_is_acknowledged_without_asking_the_api(
    fake_stripe: FakeStripe, client: Client, settings: Any
) -> None:
    """Stripe sends every event of the account to every endpoint: another shop's session
    is none of ours, even while Stripe's API cannot be reached."""
    settings.DISQUAIRE_STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    session = {"id": "cs_test_another_shop", "object": "checkout.session"}
    body, signature = fake_stripe.event("checkout.session.completed", session)
    response = deliver(client, body, signature)
    assert response.status_code == 200
    assert WebhookEvent.objects.get().processed_at is not None


def test_our_session_while_the_api_is_down_asks_for_a_retry(
    fake_stripe: FakeStripe, client: Client, settings: Any
) -> None:
    payment = started(fake_stripe)
    body, signature = completed(fake_stripe, payment)
    settings.DISQUAIRE_STRIPE_API_BASE = "http://127.0.0.1:9"
    assert deliver(client, body, signature).status_code == 503
    payment.refresh_from_db()
    assert payment.state != PaymentState.CONFIRMED
