"""State changes, each checked against its table and written to the audit log.

Only the services of this room call these; everything else calls the services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models
from django.utils import timezone

from disquaire.core.queries import insert_rows, save_fields
from disquaire.orders.errors import TransitionError
from disquaire.orders.models import (
    ORDER_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    AuditEntry,
    Order,
    OrderState,
    Payment,
    PaymentState,
)
from disquaire.orders.signals import (
    order_paid,
    order_refunded,
    order_unpaid_closed,
    payment_failed,
)

# Entries written by audit_log() inside ``audit_batch()`` wait here, per thread, and go to
# the database in one INSERT when the batch ends (or is flushed).
_batch: ContextVar[list[AuditEntry] | None] = ContextVar("audit_batch", default=None)


def audit_log(
    *,
    action: str,
    obj: models.Model,
    order: Order | None,
    order_id: int | None = None,
    actor: str = "",
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """One line of the audit log; ``order_id`` may stand for ``order`` (no fetch)."""
    entry = AuditEntry(
        action=action,
        order_id=order.pk if order is not None else order_id,
        object_type=obj._meta.model_name or "",
        object_id=str(obj.pk),
        actor=actor[:200],
        from_state=from_state,
        to_state=to_state,
        data=data or {},
    )
    pending = _batch.get()
    if pending is None:
        entry.save(force_insert=True)
    else:
        pending.append(entry)
    return entry


def _flush(pending: list[AuditEntry]) -> None:
    if pending:
        insert_rows(pending)
        pending.clear()


@contextmanager
def audit_batch() -> Iterator[Callable[[], None]]:
    """Collect the audit entries written inside, and insert them together at the end.

    Use it inside the transaction whose changes the entries describe, so that they are
    kept or rolled back with them. Yields a function that inserts what is pending now
    (before taking a row lock others wait for, say).
    """
    pending: list[AuditEntry] = []
    token = _batch.set(pending)
    try:
        yield lambda: _flush(pending)
        _flush(pending)
    finally:
        _batch.reset(token)


def order_move(
    order: Order, to: str, *, actor: str, action: str, data: dict[str, Any] | None = None
) -> None:
    if to not in ORDER_TRANSITIONS[order.state]:
        raise TransitionError(f"order {order.code}: {order.state} → {to} is not allowed")
    before = order.state
    order.state = to
    fields = ["state", "updated_at"]
    if to == OrderState.PAID:
        order.paid_at = timezone.now()
        fields.append("paid_at")
    save_fields(order, fields)
    audit_log(
        action=action,
        obj=order,
        order=order,
        actor=actor,
        from_state=before,
        to_state=to,
        data=data,
    )
    if to == OrderState.PAID:
        order_paid.send(sender=Order, order=order)
    elif to == OrderState.REFUNDED:
        order_refunded.send(sender=Order, order=order)
    elif to in (OrderState.EXPIRED, OrderState.CANCELLED) and before == OrderState.PENDING:
        order_unpaid_closed.send(sender=Order, order=order)


def payment_move(
    payment: Payment,
    to: str,
    *,
    actor: str,
    action: str,
    data: dict[str, Any] | None = None,
) -> None:
    if to not in PAYMENT_TRANSITIONS[payment.state]:
        raise TransitionError(f"payment {payment.pk}: {payment.state} → {to} is not allowed")
    before = payment.state
    payment.state = to
    fields = ["state"]
    if to == PaymentState.CONFIRMED:
        payment.confirmed_at = timezone.now()
        fields.append("confirmed_at")
    save_fields(payment, fields)
    audit_log(
        action=action,
        obj=payment,
        order=payment.order,
        actor=actor,
        from_state=before,
        to_state=to,
        data=data,
    )
    if to == PaymentState.FAILED:
        payment_failed.send(sender=Payment, payment=payment)
