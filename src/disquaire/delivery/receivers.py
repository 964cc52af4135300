"""Orders becoming paid or refunded grant or take back their downloads."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from disquaire.delivery.models import EntitlementSource
from disquaire.delivery.services import entitlement_grant, entitlements_revoke
from disquaire.orders.signals import order_paid, order_refunded


def order_ref(order: Any) -> str:
    return f"order:{order.code}"


@receiver(order_paid, dispatch_uid="delivery_order_paid")
def order_paid_grant(sender: type, order: Any, **kwargs: Any) -> None:
    """Every line that includes a download becomes an entitlement of the buyer's email."""
    for line in order.lines.select_related("release", "track").order_by():
        if not line.includes_download:
            continue
        if line.track is not None:
            entitlement_grant(
                email=order.email,
                track=line.track,
                source=EntitlementSource.ORDER,
                ref=order_ref(order),
            )
        elif line.release is not None:
            entitlement_grant(
                email=order.email,
                release=line.release,
                source=EntitlementSource.ORDER,
                ref=order_ref(order),
            )


@receiver(order_refunded, dispatch_uid="delivery_order_refunded")
def order_refunded_revoke(sender: type, order: Any, **kwargs: Any) -> None:
    entitlements_revoke(
        source=EntitlementSource.ORDER, ref=order_ref(order), reason="order refunded"
    )
