"""What the band's members are told when orders change (queued after the commit)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from disquaire.backstage.member_emails import member_emails_enqueue
from disquaire.backstage.models import MemberEmailKind
from disquaire.orders.models import Order, Payment, Refund
from disquaire.orders.signals import (
    order_flagged,
    order_paid,
    order_to_collect,
    payment_failed,
    refund_done,
)


@receiver(order_to_collect, dispatch_uid="backstage.member_emails.order_to_collect")
@receiver(order_paid, dispatch_uid="backstage.member_emails.order_paid")
def _order_paid(sender: Any, order: Order, **kwargs: Any) -> None:
    member_emails_enqueue(
        kind=MemberEmailKind.NEW_ORDER,
        key=f"order-{order.pk}",
        object_id=order.pk,
        artist_id=order.artist_id,
    )


@receiver(payment_failed, dispatch_uid="backstage.member_emails.payment_failed")
def _payment_failed(sender: Any, payment: Payment, **kwargs: Any) -> None:
    member_emails_enqueue(
        kind=MemberEmailKind.PAYMENT_PROBLEM,
        key=f"payment-{payment.pk}",
        object_id=payment.pk,
        artist_id=payment.order.artist_id,
    )


@receiver(order_flagged, dispatch_uid="backstage.member_emails.order_flagged")
def _order_flagged(sender: Any, order: Order, key: str, **kwargs: Any) -> None:
    member_emails_enqueue(
        kind=MemberEmailKind.PAYMENT_PROBLEM,
        key=key,
        object_id=order.pk,
        artist_id=order.artist_id,
    )


@receiver(refund_done, dispatch_uid="backstage.member_emails.refund_done")
def _refund_done(sender: Any, refund: Refund, **kwargs: Any) -> None:
    member_emails_enqueue(
        kind=MemberEmailKind.REFUND,
        key=f"refund-{refund.pk}",
        object_id=refund.pk,
        artist_id=refund.payment.order.artist_id,
    )
