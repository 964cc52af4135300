"""State changes, each checked against its table and written to the order's history in
the one audit log (``core.ActivityEntry``, ``order_id`` set).

Only the services of this room call these; everything else calls the services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models
from django.utils import timezone

from disquaire.core.models import ActivityEntry
from disquaire.core.queries import insert_rows, rows_batch, save_fields
from disquaire.orders.errors import TransitionError
from disquaire.orders.models import (
    ORDER_TRANSITIONS,
    PAYMENT_TRANSITIONS,
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
_batch: ContextVar[list[ActivityEntry] | None] = ContextVar("audit_batch", default=None)


def _artist_of(obj: models.Model, order: Order | None, order_id: int | None) -> int:
    if order is None and isinstance(obj, Payment) and Payment.order.is_cached(obj):
        order = obj.order
    if order is not None:
        return int(order.artist_id)
    artist_id = getattr(obj, "artist_id", None)
    if artist_id is not None:
        return int(artist_id)
    # A payment alone: one small read.
    return int(Order.objects.values_list("artist_id", flat=True).get(pk=order_id or 0))


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
) -> ActivityEntry:
    """One step of an order's history (``order_id`` may stand for ``order``, no fetch):
    an entry of the artist's audit log keyed by the order, ``from_state`` in ``before``,
    ``to_state`` and ``data`` in ``after``. A step that names no order (a referral made at
    the merch table, taken back) is an entry of the artist's log like any other
    (``obj`` carries the artist)."""
    entry = ActivityEntry(
        artist_id=_artist_of(obj, order, order_id),
        order_id=order.pk if order is not None else order_id,
        action=action,
        object_type=obj._meta.model_name or "",
        object_id=str(obj.pk),
        actor=actor[:200],
        before={"state": from_state} if from_state else {},
        after={**(data or {}), **({"state": to_state} if to_state else {})},
    )
    pending = _batch.get()
    if pending is None:
        entry.save(force_insert=True)
    else:
        pending.append(entry)
    return entry


@contextmanager
def audit_batch() -> Iterator[Callable[[], None]]:
    """Collect the audit entries written inside, and insert them together at the end.

    Use it inside the transaction whose changes the entries describe, so that they are
    kept or rolled back with them. Yields a function that inserts what is pending now
    (before taking a row lock others wait for, say).
    """
    with rows_batch(_batch, insert_rows) as flush:
        yield flush


def _state_write(
    obj: Order | Payment,
    to: str,
    *,
    allowed: dict[str, frozenset[str]],
    label: str,
    fields: list[str],
    stamp: tuple[str, str],
    order: Order,
    actor: str,
    action: str,
    data: dict[str, Any] | None,
) -> str:
    """Move ``obj`` (an order or a payment, named ``label`` in the error) to state ``to``
    if ``allowed`` lets it, stamp the time in ``stamp[1]`` when it reaches ``stamp[0]``,
    save ``fields`` and write the audit entry; returns the state it left."""
    if to not in allowed[obj.state]:
        raise TransitionError(f"{label}: {obj.state} → {to} is not allowed")
    before = obj.state
    obj.state = to
    if to == stamp[0]:
        setattr(obj, stamp[1], timezone.now())
        fields = [*fields, stamp[1]]
    save_fields(obj, fields)
    audit_log(
        action=action,
        obj=obj,
        order=order,
        actor=actor,
        from_state=before,
        to_state=to,
        data=data,
    )
    return before


def order_move(
    order: Order, to: str, *, actor: str, action: str, data: dict[str, Any] | None = None
) -> None:
    before = _state_write(
        order,
        to,
        allowed=ORDER_TRANSITIONS,
        label=f"order {order.code}",
        fields=["state", "updated_at"],
        stamp=(OrderState.PAID, "paid_at"),
        order=order,
        actor=actor,
        action=action,
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
    _state_write(
        payment,
        to,
        allowed=PAYMENT_TRANSITIONS,
        label=f"payment {payment.pk}",
        fields=["state"],
        stamp=(PaymentState.CONFIRMED, "confirmed_at"),
        order=payment.order,
        actor=actor,
        action=action,
        data=data,
    )
    if to == PaymentState.FAILED:
        payment_failed.send(sender=Payment, payment=payment)
