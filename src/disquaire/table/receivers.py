"""The table answers the rooms below it: the addresses its buyers gave at a show, a
bank-transfer sale paid for the fan whose QR code brought it, and the orders of sales
paid on a fan's phone (paid, or closed unpaid)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from disquaire.fans.referrals.credit import referral_sale_paid
from disquaire.fans.updates import table_show_emails
from disquaire.orders.signals import order_paid, order_unpaid_closed
from disquaire.table.fan_selectors import show_buyer_emails
from disquaire.table.models import Sale, Show
from disquaire.table.phone_pay import phone_sale_lapsed, phone_sale_paid


@receiver(table_show_emails)
def show_emails_answer(sender: Any, artist: Any, show_id: int, **kwargs: Any) -> set[str]:
    """Every address given at the band's show ``show_id`` (the follower's own consent,
    checked by the segment, says whether to write to it)."""
    if not Show.objects.filter(pk=show_id, artist=artist).exists():
        return set()
    return show_buyer_emails(show_id=show_id, consented=False)


@receiver(post_save, sender=Sale, dispatch_uid="table_sale_referral_paid")
def sale_paid_referral(
    sender: Any, instance: Sale, update_fields: Any = None, **kwargs: Any
) -> None:
    """A bank-transfer sale's money was marked received: a fan's referral waiting for it
    counts now (in the same transaction)."""
    if update_fields and "payment_received_at" in update_fields and instance.payment_received_at:
        referral_sale_paid(sale_ref=f"table:{instance.pk}")


@receiver(order_paid)
def order_paid_answer(sender: Any, order: Any, **kwargs: Any) -> None:
    phone_sale_paid(order=order)


@receiver(order_unpaid_closed)
def order_unpaid_closed_answer(sender: Any, order: Any, **kwargs: Any) -> None:
    phone_sale_lapsed(order=order)
