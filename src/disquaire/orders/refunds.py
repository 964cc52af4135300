"""Refunds: decided and written down first (pending), then made at the provider once.

A pending refund survives a crash between the decision and the provider's answer: a
redelivered webhook or the periodic ``refunds_retry_pending`` carries it out, and the
provider gets the refund's id as idempotency key, so money goes back exactly once.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from disquaire.orders.errors import OrderError
from disquaire.orders.items import items_restock
from disquaire.orders.models import (
    Order,
    OrderState,
    Payment,
    PaymentState,
    Refund,
    Reservation,
)
from disquaire.orders.signals import order_flagged, refund_done
from disquaire.orders.stock import order_reservations
from disquaire.orders.transitions import audit_log, order_move, payment_move


def _refundable(payment: Payment) -> int:
    pending = payment.refunds.filter(state=Refund.State.PENDING).aggregate(n=Sum("amount_minor"))
    return payment.amount_minor - payment.refunded_minor - int(pending["n"] or 0)


def refund_open(*, payment: Payment, amount_minor: int, reason: str, actor: str) -> Refund:
    """Write down a refund to make (call with the payment row locked)."""
    refund = Refund.objects.create(
        payment=payment, amount_minor=amount_minor, state=Refund.State.PENDING, reason=reason
    )
    audit_log(
        action="refund.request",
        obj=refund,
        order=payment.order,
        actor=actor,
        to_state=Refund.State.PENDING,
        data={"amount_minor": amount_minor, "reason": reason},
    )
    return refund


def payment_refund(
    *, payment: Payment, amount_minor: int | None = None, reason: str = "", actor: str
) -> Refund:
    """Give money back through the payment's provider; flag the order when it cannot."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("order").get(pk=payment.pk)
        if payment.state != PaymentState.CONFIRMED:
            raise OrderError("only a confirmed payment is refunded")
        left = _refundable(payment)
        amount = left if amount_minor is None else amount_minor
        if amount <= 0 or amount > left:
            raise OrderError("nothing to refund")
        refund = refund_open(payment=payment, amount_minor=amount, reason=reason, actor=actor)
    return refund_execute(refund_id=refund.pk, actor=actor)


def refund_execute(*, refund_id: int, actor: str) -> Refund:
    """Carry out a pending refund at the provider, once, and record the answer.

    The refund row stays locked during the provider call, so two runs (a redelivered
    webhook, the periodic retry) never refund twice; the provider also gets the refund's
    id as idempotency key.
    """
    from disquaire.payments.base import RefundFailed, RefundUnsupported
    from disquaire.payments.registry import provider_get

    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.state != Refund.State.PENDING:
            return refund
        payment = Payment.objects.select_related("order").get(pk=refund.payment_id)
        try:
            refund.provider_ref = (
                provider_get(payment.provider, artist=payment.order.artist_id).refund(
                    payment, refund.amount_minor, idempotency_key=f"disquaire-refund-{refund.pk}"
                )
                or ""
            )
            refund.state = Refund.State.DONE
        except RefundUnsupported as exc:
            refund.state, refund.error = Refund.State.MANUAL, str(exc)
        except RefundFailed as exc:
            refund.state, refund.error = Refund.State.FAILED, str(exc)
        refund.save(update_fields=["state", "provider_ref", "error"])
        _refund_apply(refund=refund, actor=actor)
    return refund


def refunds_retry_pending(*, older_than_seconds: int = 120) -> int:
    """Periodic job: carry out refunds left pending by a crash between decision and call."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Refund.objects.filter(state=Refund.State.PENDING, created_at__lte=cutoff).values_list(
            "pk", flat=True
        )[:100]
    )
    for refund_id in ids:
        refund_execute(refund_id=refund_id, actor="system")
    return len(ids)


def payment_refunded_by_provider(
    *, payment: Payment, refunded_minor: int, provider_ref: str = "", actor: str = "provider"
) -> Refund | None:
    """The provider reports ``refunded_minor`` refunded in all (e.g. from Stripe's
    dashboard): record whatever part of it we do not know of yet."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("order").get(pk=payment.pk)
        known = payment.amount_minor - _refundable(payment)
        amount = min(refunded_minor, payment.amount_minor) - known
        if amount <= 0:
            return None
        refund = Refund.objects.create(
            payment=payment,
            amount_minor=amount,
            state=Refund.State.DONE,
            provider_ref=provider_ref,
            reason="refunded at the provider",
        )
        _refund_apply(refund=refund, actor=actor)
    return refund


def _refund_apply(*, refund: Refund, actor: str) -> None:
    """Record a refund's outcome on its payment and order (inside a transaction)."""
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    payment.order = order
    audit_log(
        action=f"refund.{refund.state}",
        obj=refund,
        order=order,
        actor=actor,
        from_state=Refund.State.PENDING,
        to_state=refund.state,
        data={"amount_minor": refund.amount_minor, "reason": refund.reason, "error": refund.error},
    )
    if refund.state != Refund.State.DONE:
        note = (
            f"Refund {refund.amount_minor} {payment.currency} by hand: "
            f"{refund.reason} ({refund.error})."
        )
        order.needs_attention = True
        order.attention_note += note + "\n"
        order.save(update_fields=["needs_attention", "attention_note", "updated_at"])
        order_flagged.send(sender=Order, order=order, note=note, key=f"refund-{refund.pk}")
        return
    refund_done.send(sender=Refund, refund=refund)
    payment.refunded_minor += refund.amount_minor
    payment.save(update_fields=["refunded_minor"])
    if payment.refunded_minor >= payment.amount_minor and payment.state == PaymentState.CONFIRMED:
        payment_move(payment, PaymentState.REFUNDED, actor=actor, action="payment.refund")
        if order.state in (OrderState.PAID, OrderState.FULFILLED):
            shipped = order.state == OrderState.FULFILLED
            order_move(order, OrderState.REFUNDED, actor=actor, action="order.refund")
            if not shipped:
                # Never sent: its units are back on the shelf. A parcel already sent
                # comes back (or not) by hand, on the stock page.
                items_restock(
                    order=order,
                    reservations=[
                        r
                        for r in order_reservations(order)
                        if r.state == Reservation.State.CONSUMED
                    ],
                    note="refunded before shipping",
                )
