"""Payments of orders: created, started, failed, confirmed (the order's units sold), marked
paid by hand or free; the receipt queued once paid, and retried. Reached through
``orders.services``, the room's API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import router, transaction
from django.db.models import F
from django.utils import timezone

from disquaire.core.queries import Compiled, insert_row
from disquaire.core.tasks_backend import tasks_batch
from disquaire.orders.errors import OrderError, TransitionError
from disquaire.orders.models import (
    PAYMENT_TRANSITIONS,
    Order,
    OrderState,
    Payment,
    PaymentState,
    Refund,
)
from disquaire.orders.refunds import (
    refund_execute,
    refund_open,
)
from disquaire.orders.stock import (
    holds_valid,
    order_reservations,
    reservations_consume,
    reservations_consume_held,
)
from disquaire.orders.tasks import order_receipt_task
from disquaire.orders.transitions import audit_batch, audit_log, order_move, payment_move

logger = logging.getLogger(__name__)


# --- payments ----------------------------------------------------------------------------


def payment_create(
    *, order: Order, provider: str, actor: str = "buyer", started_ref: str = ""
) -> Payment:
    """A payment of ``order``'s total; already pending (``payment_started``) under the
    reference ``started_ref`` when one is given (a provider whose page is ours)."""
    state = PaymentState.PENDING if started_ref else PaymentState.CREATED
    payment = Payment(
        order=order,
        provider=provider,
        amount_minor=order.total_minor,
        currency=order.currency,
        state=state,
        provider_ref=started_ref,
    )
    insert_row(payment)
    audit_log(
        action="payment.create",
        obj=payment,
        order=order,
        actor=actor,
        to_state=PaymentState.CREATED,
        data={"provider": provider, "amount_minor": payment.amount_minor},
    )
    if started_ref:
        audit_log(
            action="payment.start",
            obj=payment,
            order=order,
            actor=actor,
            from_state=PaymentState.CREATED,
            to_state=PaymentState.PENDING,
            data={"provider_ref": started_ref},
        )
    return payment


def payment_started(*, payment: Payment, provider_ref: str = "", actor: str = "provider") -> None:
    """The provider has the buyer now (a Stripe session exists): created → pending.

    One conditional UPDATE (``state = created``) is the lock, the check and the write:
    of two calls at once, one moves the payment and writes the audit entry, the other
    finds it moved already and does nothing.
    """
    if PaymentState.PENDING not in PAYMENT_TRANSITIONS[PaymentState.CREATED]:
        raise TransitionError("payments do not go from created to pending")
    if payment.state == PaymentState.PENDING and payment.provider_ref == provider_ref:
        # Created pending under this reference (``payment_create``'s ``started_ref``, a
        # provider whose page is ours): the UPDATE below would match no row. A payment
        # never goes back to created, so nothing is missed.
        return
    with transaction.atomic():
        moved = Payment.objects.filter(pk=payment.pk, state=PaymentState.CREATED).update(
            state=PaymentState.PENDING, provider_ref=provider_ref
        )
        if not moved:
            return
        audit_log(
            action="payment.start",
            obj=payment,
            order=None,
            order_id=payment.order_id,
            actor=actor,
            from_state=PaymentState.CREATED,
            to_state=PaymentState.PENDING,
            data={"provider_ref": provider_ref},
        )
    payment.state, payment.provider_ref = PaymentState.PENDING, provider_ref


def payment_fail(*, payment: Payment, actor: str, canceled: bool = False, reason: str = "") -> None:
    """The provider says this attempt will not be paid (declined, or the session expired).

    The order stays pending: the buyer may try again until its hold runs out.
    """
    to = PaymentState.CANCELED if canceled else PaymentState.FAILED
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.state not in (PaymentState.CREATED, PaymentState.PENDING):
            return
        payment_move(payment, to, actor=actor, action=f"payment.{to}", data={"reason": reason})


# The payment and its order, both locked, in one statement compiled once.
_PAYMENT_LOCKED = Compiled(
    lambda pk: Payment.objects.select_for_update().select_related("order").filter(pk=pk)
)
_PAYMENT_OF_PROVIDER_LOCKED = Compiled(
    lambda pk, provider: (
        Payment.objects.select_for_update().select_related("order").filter(pk=pk, provider=provider)
    )
)


def payment_confirm(
    *,
    payment: Payment,
    actor: str = "provider",
    data: dict[str, Any] | None = None,
    provider: str = "",
) -> Payment:
    """The money is there: mark the payment confirmed and the order paid. Idempotent.

    Locks the payment row (read here, with its order: ``payment`` may be an unsaved
    ``Payment(pk=…)``; ``provider``, when given, must be its provider, else
    ``Payment.DoesNotExist``) and returns that locked copy; returns quietly if it is
    already confirmed (a webhook delivered twice). If the order's hold expired and its
    units were sold meanwhile, the order is cancelled and the payment refunded through
    the provider (or flagged for the band when the provider cannot refund): a unit is
    never sold twice. The refund is written down
    (pending) in the same transaction, so a crash before the provider answers loses
    nothing: a redelivery or the periodic ``refunds_retry_pending`` carries it out.
    """
    refund_ids: list[int] = []
    with transaction.atomic(), audit_batch() as audit_flush, tasks_batch() as tasks_flush:
        # The payment and its order, both locked, in one statement.
        found = (
            _PAYMENT_OF_PROVIDER_LOCKED.one(pk=payment.pk, provider=provider)
            if provider
            else _PAYMENT_LOCKED.one(pk=payment.pk)
        )
        if found is None:
            raise Payment.DoesNotExist(f"payment {payment.pk} ({provider or 'any provider'})")
        payment = found
        if payment.state in (PaymentState.CONFIRMED, PaymentState.REFUNDED):
            refund_ids = list(
                payment.refunds.filter(state=Refund.State.PENDING).values_list("pk", flat=True)
            )
        else:
            order = payment.order
            payment_move(
                payment, PaymentState.CONFIRMED, actor=actor, action="payment.confirm", data=data
            )
            refund_reason = ""
            order_id = order.pk
            queued: list[int] = []

            def before_stock(sold: bool) -> None:
                audit_flush()
                if sold and _receipts_queue_in_transaction():
                    # The receipt's task row commits with the sale, or neither does
                    # (before the edition's counter is locked, not under it).
                    order_receipt_task.enqueue(order_id=order_id)
                    queued.append(order_id)
                # The task rows queued so far (the receipt, the members' e-mails): one
                # INSERT, before the stock rows too.
                tasks_flush()

            if order.state in (OrderState.PENDING, OrderState.EXPIRED):
                if _order_sell(order, actor=actor, before_stock=before_stock):
                    if not queued:
                        transaction.on_commit(lambda: receipt_enqueue(order_id=order_id))
                else:
                    order_move(
                        order,
                        OrderState.CANCELLED,
                        actor="system",
                        action="order.sold_out_after_expiry",
                    )
                    refund_reason = "sold out after the hold expired"
            else:
                # Paid twice (two tabs, two providers) or paid after a cancel: give it back.
                refund_reason = f"order already {order.state}"
            if refund_reason and payment.amount_minor > 0:
                refund = refund_open(
                    payment=payment,
                    amount_minor=payment.amount_minor,
                    reason=refund_reason,
                    actor="system",
                )
                refund_ids = [refund.pk]
    for refund_id in refund_ids:
        refund_execute(refund_id=refund_id, actor="system")
    if refund_ids:
        payment.refresh_from_db()
    return payment


def _order_sell(order: Order, *, actor: str, before_stock: Callable[[bool], None]) -> bool:
    """Order → paid and its holds → sold, inside payment confirmation's transaction;
    False (nothing written) when a unit is gone.

    The usual case — every hold valid for a while yet — writes the sale first and takes
    the stock rows (numbered editions only) last: buyers of a limited edition queue
    behind each other only for the numbering and the commit. Otherwise the careful way:
    stock rows locked first, lapsed holds counted again. ``before_stock(sold)`` is called
    before any stock row is touched (the audit entries go in then, not under the lock);
    ``sold`` is True when the sale is already written (the usual case).
    """
    reservations = order_reservations(order)
    if order.state == OrderState.PENDING and holds_valid(reservations, timezone.now()):
        order_move(order, OrderState.PAID, actor=actor, action="order.paid")
        before_stock(True)
        reservations_consume_held(reservations, order=order)
        return True
    before_stock(False)
    if not reservations_consume(order):
        return False
    order_move(order, OrderState.PAID, actor=actor, action="order.paid")
    return True


def payment_manual_mark_paid(*, payment: Payment, actor: str) -> Payment:
    """The band received the bank transfer or the cash."""
    if payment.provider not in ("manual", "cash"):
        raise OrderError("only manual payments are marked paid by hand")
    return payment_confirm(payment=payment, actor=actor, data={"manual": True})


def order_paid_free(*, order: Order, actor: str = "buyer") -> Payment:
    """A free order (total 0) is paid at once, through the same confirmation path."""
    if order.total_minor != 0:
        raise OrderError("only a free order skips payment")
    payment = payment_create(order=order, provider="free", actor=actor)
    return payment_confirm(payment=payment, actor=actor, data={"free": True})


def _receipts_queue_in_transaction() -> bool:
    """True when tasks are rows of this database (django-tasks-db): a receipt queued in
    the sale's own transaction is then kept exactly when the sale is."""
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    return isinstance(order_receipt_task.get_backend(), DatabaseBackend) and (
        router.db_for_write(DBTaskResult) == router.db_for_write(Order)
    )


def receipt_enqueue(*, order_id: int) -> None:
    """Queue the receipt of a paid order (called after commit)."""
    try:
        order_receipt_task.enqueue(order_id=order_id)
    except Exception:
        # The sale stands even if the queue is unavailable; the order page has it all.
        logger.exception("receipt for order %s not queued", order_id)


def order_receipt_send_once(*, order_id: int) -> bool:
    """Send the receipt unless already sent; record the error on the order if it fails."""
    from disquaire.orders.emails import order_receipt_send

    # An order without an address (paid on a fan's phone at the merch table, no address
    # typed there) has no receipt to send: the provider's own receipt is the fan's.
    claimed = (
        Order.objects.filter(
            pk=order_id,
            receipt_sent_at__isnull=True,
            state__in=[OrderState.PAID, OrderState.FULFILLED],
        )
        .exclude(email="")
        .update(receipt_sent_at=timezone.now(), receipt_error="")
    )
    if not claimed:
        return False
    try:
        order_receipt_send(order=Order.objects.select_related("artist").get(pk=order_id))
    except Exception as exc:
        logger.exception("receipt for order %s not sent", order_id)
        Order.objects.filter(pk=order_id).update(
            receipt_sent_at=None,
            receipt_error=str(exc)[:500],
            receipt_attempts=F("receipt_attempts") + 1,
            receipt_tried_at=timezone.now(),
        )
        return False
    return True


# A receipt not sent (the mail server refused it, or its task was lost) is tried again
# this long after the payment, then after each failure twice as long as before.
RECEIPT_RETRY_FIRST = timedelta(minutes=5)
RECEIPT_MAX_ATTEMPTS = 7  # 5, 10, 20, 40, 80, 160 minutes: about five hours in all
RECEIPT_RETRY_WITHIN = timedelta(days=3)


def receipts_retry(*, now: datetime | None = None) -> int:
    """Periodic job: send the receipts of paid orders that still have none, when due.

    Covers a mail server that was down (each failure doubles the wait) and a receipt
    whose task never ran. Sending claims the order first, so a receipt is never sent
    twice even if its original task runs at the same time. Returns how many were sent.
    """
    now = now or timezone.now()
    candidates = Order.objects.filter(
        state__in=[OrderState.PAID, OrderState.FULFILLED],
        receipt_sent_at__isnull=True,
        receipt_attempts__lt=RECEIPT_MAX_ATTEMPTS,
        email__gt="",
        paid_at__lte=now - RECEIPT_RETRY_FIRST,
        paid_at__gte=now - RECEIPT_RETRY_WITHIN,
    ).values_list("pk", "paid_at", "receipt_attempts", "receipt_tried_at")
    sent = 0
    for pk, paid_at, attempts, tried_at in list(candidates.order_by("paid_at")[:100]):
        due = (tried_at or paid_at) + RECEIPT_RETRY_FIRST * 2 ** max(0, attempts - 1)
        if due <= now and order_receipt_send_once(order_id=pk):
            sent += 1
    return sent
