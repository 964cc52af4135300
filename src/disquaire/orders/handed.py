"""Orders whose goods change hands elsewhere (a merch-table sale paid on the fan's own
phone): no lines, no units held, nothing shipped; the room that sold the goods counts
them on the stock ledger when ``order_paid`` is sent."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from disquaire.catalog.models import Artist
from disquaire.core.queries import insert_row
from disquaire.orders.errors import OrderError
from disquaire.orders.models import Delivery, Order, Payment
from disquaire.orders.paying import payment_create
from disquaire.orders.transitions import audit_batch, audit_log


def order_create_handed(
    *,
    artist: Artist,
    email: str,
    total_minor: int,
    provider: str,
    started: bool,
    is_test: bool,
    expires_at: datetime,
    actor: str,
    note: str = "",
) -> tuple[Order, Payment]:
    """A pending order of ``total_minor`` for goods already handed over, and its payment
    with ``provider``, in one transaction. Its state changes are those of every order
    (paid when the provider confirms, expired or cancelled otherwise)."""
    if total_minor <= 0:
        raise OrderError("an order paid online has a positive total")
    with transaction.atomic(), audit_batch():
        order = Order(
            artist=artist,
            currency=artist.currency,
            email=email,
            items_minor=total_minor,
            total_minor=total_minor,
            expires_at=expires_at,
            is_test=is_test,
            delivery=Delivery.PICKUP,
            pickup_place=note[:300],
        )
        insert_row(order)
        audit_log(
            action="order.create",
            obj=order,
            order=order,
            actor=actor,
            to_state=order.state,
            data={"total_minor": total_minor, "currency": order.currency, "handed": True}
            | ({"test": True} if is_test else {}),
        )
        ref = f"{provider}-{order.code}" if started else ""
        payment = payment_create(order=order, provider=provider, actor=actor, started_ref=ref)
    return order, payment
