"""Background tasks of orders: thin wrappers taking ids."""

from __future__ import annotations

from django_tasks import task


@task()
def order_receipt_task(order_id: int) -> None:
    from disquaire.orders.services import order_receipt_send_once

    order_receipt_send_once(order_id=order_id)


@task()
def order_pickup_task(order_id: int) -> None:
    from disquaire.orders.emails import order_pickup_send_pending

    order_pickup_send_pending(order_id=order_id)
