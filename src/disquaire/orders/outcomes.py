"""Payment outcomes applied to orders: the one place where what a provider reports
(``payments.outcomes``) changes a payment and its order, the amount check included."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import HttpRequest

from disquaire.core.queries import Compiled, related_if_known
from disquaire.orders.models import Order, OrderLine, Payment, PaymentState
from disquaire.orders.refunds import payment_refunded_by_provider
from disquaire.orders.selectors import order_page_path
from disquaire.orders.services import order_flag, payment_confirm, payment_fail, payment_started
from disquaire.payments.outcomes import (
    Checkout,
    CheckoutItem,
    Expired,
    Failed,
    Outcome,
    Paid,
    Refunded,
    Started,
)

if TYPE_CHECKING:
    from disquaire.payments.base import BasePaymentProvider

logger = logging.getLogger(__name__)


# What a provider is told of each line, and nothing else (not the release and track a
# line's page would show): compiled once, it runs at every checkout.
_CHECKOUT_LINES = Compiled(
    lambda order_id: (
        OrderLine.objects.filter(order_id=order_id)
        .only("title", "option_label", "quantity", "unit_price_minor")
        .order_by("pk")
    )
)


def _checkout_lines(order: Order) -> Iterable[OrderLine]:
    """The order's lines: those it was created with when it carries them (a checkout
    starting its payment), else read."""
    known = related_if_known(order, "lines")
    return known if known is not None else _CHECKOUT_LINES.all(order_id=order.pk)


def payment_checkout(payment: Payment) -> Checkout:
    """What a provider is told to start taking ``payment``: amounts, lines, our page."""
    order = payment.order
    return Checkout(
        payment_id=payment.pk,
        order_code=order.code,
        email=order.email,
        amount_minor=payment.amount_minor,
        currency=order.currency,
        items=tuple(
            CheckoutItem(
                name=line.title + (f" ({line.option_label})" if line.option_label else ""),
                quantity=line.quantity,
                unit_minor=line.unit_price_minor,
            )
            for line in _checkout_lines(order)
        ),
        shipping_minor=order.shipping_minor,
        page_path=order_page_path(order),
    )


def payment_checkout_start(
    *, provider: BasePaymentProvider, payment: Payment, request: HttpRequest
) -> str:
    """Start paying ``payment`` with ``provider``; the URL to send the buyer to."""
    started = provider.checkout_begin(payment_checkout(payment), request)
    outcome_apply(outcome=started, payment=payment)
    return started.redirect_url


def _payments_of(outcome: Outcome) -> QuerySet[Payment]:
    payments = Payment.objects.filter(provider=outcome.provider)
    if outcome.artist_id is not None:
        # A band's own account speaks for its own orders alone.
        payments = payments.filter(order__artist_id=outcome.artist_id)
    return payments


def _payment_of(outcome: Outcome) -> Payment | None:
    payments = _payments_of(outcome)
    if outcome.payment_id is not None:
        payments = payments.filter(pk=outcome.payment_id)
    if outcome.provider_ref:
        payments = payments.filter(provider_ref=outcome.provider_ref)
    if outcome.payment_id is None and not outcome.provider_ref:
        return None
    return payments.select_related("order").first()


def outcome_apply(*, outcome: Outcome, payment: Payment | None = None) -> None:
    """Apply what a provider reported. Every branch is idempotent (a webhook delivered
    twice changes nothing the second time); a lock waited for too long raises
    OperationalError, which the webhook answers with 503 so that the provider retries."""
    if isinstance(outcome, Started):
        if outcome.provider_ref and payment is not None:
            payment_started(payment=payment, provider_ref=outcome.provider_ref, actor=outcome.actor)
        return
    if isinstance(outcome, Refunded):
        _refunded_apply(outcome)
        return
    payment = payment or _payment_of(outcome)
    if payment is None:
        logger.warning("%s payment %s belongs to no payment here", outcome.provider, outcome)
        return
    if isinstance(outcome, Paid):
        _paid_apply(outcome, payment)
    elif isinstance(outcome, Expired):
        payment_fail(payment=payment, actor=outcome.actor, canceled=True, reason=outcome.reason)
    elif isinstance(outcome, Failed):
        payment_fail(payment=payment, actor=outcome.actor, reason=outcome.reason)


def outcomes_apply(*, outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        outcome_apply(outcome=outcome)


def _paid_apply(outcome: Paid, payment: Payment) -> None:
    if outcome.amount_minor != payment.amount_minor or outcome.currency != payment.currency:
        logger.error("%s: amount differs from payment", outcome.label or outcome.provider)
        order_flag(
            order=payment.order,
            note=f"{outcome.label} was paid with an amount or currency other than the "
            f"order's: check it in {outcome.dashboard}.",
            actor=outcome.actor,
        )
        return
    kept = {k: v for k, v in outcome.remember.items() if payment.provider_data.get(k) != v}
    if kept:
        Payment.objects.filter(pk=payment.pk).update(
            provider_data={**payment.provider_data, **kept}
        )
    payment_confirm(payment=payment, actor=outcome.actor, data=outcome.data)


def _with_data(payments: QuerySet[Payment], match: dict[str, str]) -> QuerySet[Payment]:
    return payments.filter(**{f"provider_data__{key}": value for key, value in match.items()})


def _refunded_apply(outcome: Refunded) -> None:
    payment = _with_data(_payments_of(outcome), outcome.match).first()
    if payment is None or payment.state not in (PaymentState.CONFIRMED, PaymentState.REFUNDED):
        return
    payment_refunded_by_provider(
        payment=payment, refunded_minor=outcome.refunded_minor, actor=outcome.actor
    )


class PaymentsLookup:
    """``payments.outcomes.PaymentLookup``: what providers may ask before calling out."""

    def ref_known(self, *, provider: str, provider_ref: str) -> bool:
        return Payment.objects.filter(provider=provider, provider_ref=provider_ref).exists()

    def refundable(self, *, provider: str, match: dict[str, str], artist_id: int | None) -> bool:
        payments = Payment.objects.filter(provider=provider)
        if artist_id is not None:
            payments = payments.filter(order__artist_id=artist_id)
        payment = _with_data(payments, match).first()
        return payment is not None and payment.state in (
            PaymentState.CONFIRMED,
            PaymentState.REFUNDED,
        )


PAYMENTS_LOOKUP = PaymentsLookup()
