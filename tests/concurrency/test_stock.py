"""Many buyers at once on PostgreSQL: no unit sold twice, every edition number used once.

Each test runs real threads, each with its own database connection. In the control test
— the same scenario with the row lock taken away — the buyers meet at a barrier between
"count what is left" and "hold it", which always shows the oversell the lock prevents.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db import IntegrityError
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from disquaire.orders import services, stock
from disquaire.orders.models import (
    EditionUnit,
    Order,
    OrderState,
    Payment,
    PaymentState,
    Reservation,
)
from disquaire.orders.services import SoldOut, payment_confirm, payment_create
from disquaire.payments.providers.stripe import StripeProvider
from disquaire.selling.models import Offer
from tests.meeting import meeting_point, run_at_once
from tests.payments.fake_stripe import FakeStripe
from tests.shop.factories import OfferFactory
from tests.shop.helpers import fake_request, order_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BUYERS = 50
UNITS = 10


@pytest.fixture
def buyers_meet_after_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    original = stock.units_held
    meet = meeting_point(BUYERS)

    def units_held_then_meet(**kw: Any) -> int:
        held = original(**kw)
        meet()
        return held

    monkeypatch.setattr(stock, "units_held", units_held_then_meet)


def buy(offer: Offer) -> str:
    try:
        order = order_for(offer, email="fan@example.org")
    except SoldOut:
        return "sold out"
    payment = payment_confirm(payment=payment_create(order=order, provider="test"))
    return str(payment.state)


def sold_units(offer: Offer) -> int:
    held = Reservation.objects.filter(
        offer=offer, state__in=[Reservation.State.CONSUMED, Reservation.State.ACTIVE]
    ).aggregate(n=Sum("quantity"))["n"]
    return int(held or 0)


def test_fifty_buyers_for_ten_numbered_units_make_exactly_ten_sales() -> None:
    offer = OfferFactory(stock=UNITS, numbered=True, kind=Offer.Kind.PHYSICAL)
    results = run_at_once(BUYERS, lambda _: buy(offer))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Counter(results) == {"confirmed": UNITS, "sold out": BUYERS - UNITS}
    assert Order.objects.filter(state=OrderState.PAID).count() == UNITS
    assert sold_units(offer) == UNITS  # the stock left is 0, never below
    numbers = sorted(EditionUnit.objects.filter(offer=offer).values_list("number", flat=True))
    assert numbers == list(range(1, UNITS + 1))
    offer.refresh_from_db()
    assert offer.numbers_issued == UNITS


def test_control_without_the_lock_the_same_buyers_oversell(
    buyers_meet_after_counting: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proves the test above can fail: take the lock away and the race shows."""
    monkeypatch.setattr(
        stock, "lock_rows", lambda model, pks: list(model.objects.filter(pk__in=pks).order_by("pk"))
    )
    offer = OfferFactory(stock=UNITS, numbered=True, kind=Offer.Kind.PHYSICAL)
    results = run_at_once(BUYERS, lambda _: buy(offer))
    duplicates = [r for r in results if isinstance(r, IntegrityError)]
    oversold = sold_units(offer) > UNITS
    assert oversold or duplicates, (sold_units(offer), Counter(map(str, results)))
    # Without the lock, far more than ten buyers got a unit held.
    assert Reservation.objects.filter(offer=offer).count() > UNITS


def test_webhook_delivered_ten_times_some_at_once_fulfils_once(
    fake_stripe: FakeStripe,
) -> None:
    offer = OfferFactory(stock=3, numbered=True)
    order = order_for(offer)
    payment = payment_create(order=order, provider="stripe")
    StripeProvider().start_checkout(payment, fake_request())
    payment.refresh_from_db()
    session = fake_stripe.complete(payment.provider_ref)
    same = fake_stripe.event("checkout.session.completed", session, event_id="evt_once")
    # Five deliveries of one event and five other events about the same session.
    deliveries = [same] * 5 + [
        fake_stripe.event("checkout.session.completed", session) for _ in range(5)
    ]

    def deliver(i: int) -> int:
        body, signature = deliveries[i]
        response = Client().post(
            "/payments/stripe/webhook/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )
        return response.status_code

    statuses = [*run_at_once(8, deliver), deliver(8), deliver(9)]
    assert statuses == [200] * 10, statuses
    payment.refresh_from_db()
    assert payment.state == PaymentState.CONFIRMED
    assert order.audit_entries.filter(action="order.paid").count() == 1
    assert order.audit_entries.filter(action="payment.confirm").count() == 1
    assert list(EditionUnit.objects.values_list("number", flat=True)) == [1]


def test_payment_after_expiry_while_rivals_buy_the_last_unit_never_sells_it_twice(
    fake_stripe: FakeStripe,
) -> None:
    offer = OfferFactory(stock=1, price_minor=2500)
    late = order_for(offer)
    payment = payment_create(order=late, provider="stripe")
    StripeProvider().start_checkout(payment, fake_request())
    payment.refresh_from_db()
    services.reservations_expire(now=timezone.now() + dt.timedelta(minutes=31))
    body, signature = fake_stripe.event(
        "checkout.session.completed", fake_stripe.complete(payment.provider_ref)
    )

    def work(i: int) -> Any:
        if i == 0:
            return (
                Client()
                .post(
                    "/payments/stripe/webhook/",
                    data=body,
                    content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=signature,
                )
                .status_code
            )
        return buy(offer)

    results = run_at_once(6, work)
    assert results[0] == 200
    assert sold_units(offer) == 1
    payment.refresh_from_db()
    late.refresh_from_db()
    if late.state == OrderState.PAID:
        assert fake_stripe.refunds == []
        assert Counter(results[1:]) == {"sold out": 5}
    else:
        # A rival got the unit first: the late payment went back through Stripe.
        assert late.state == OrderState.CANCELLED
        assert payment.state == PaymentState.REFUNDED
        assert [r["amount"] for r in fake_stripe.refunds] == [2500]
        assert Counter(results[1:]) == {"confirmed": 1, "sold out": 4}
    assert Payment.objects.filter(state=PaymentState.CONFIRMED).count() == 1
