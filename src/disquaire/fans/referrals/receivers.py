"""Referred orders becoming paid or refunded reward or take back their referrer."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from disquaire.fans.referrals.services import (
    order_paid_overdraw_check,
    referral_on_paid,
    referral_on_refunded,
)
from disquaire.orders.signals import order_paid, order_refunded


@receiver(order_paid, dispatch_uid="fans_referral_order_paid")
def order_paid_reward(sender: type, order: Any, **kwargs: Any) -> None:
    referral_on_paid(order=order)
    if order_paid_overdraw_check(order=order):
        from disquaire.orders.services import order_flag

        order_flag(
            order=order,
            note="Paid after its hold expired: the store credit it used had been given back "
            "and spent again. The fan's credit is overdrawn; check before shipping.",
            actor="system",
        )


@receiver(order_refunded, dispatch_uid="fans_referral_order_refunded")
def order_refunded_reverse(sender: type, order: Any, **kwargs: Any) -> None:
    referral_on_refunded(order=order)
