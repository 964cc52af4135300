"""Orders becoming paid or refunded grant or take back their downloads."""

from __future__ import annotations

from typing import Any

from django.db.models.functions import Coalesce
from django.dispatch import receiver

from disquaire.delivery.models import EntitlementSource
from disquaire.delivery.services import entitlements_grant_by_id, entitlements_revoke
from disquaire.orders.signals import order_paid, order_refunded


def order_ref(order: Any) -> str:
    return f"order:{order.code}"


@receiver(order_paid, dispatch_uid="delivery_order_paid")
def order_paid_grant(sender: type, order: Any, **kwargs: Any) -> None:
    """Every line that includes a download becomes an entitlement of the buyer's email
    (ids and release dates read in one query: no line, release or track loaded)."""
    items = order.lines.filter(includes_download=True).values_list(
        "release_id", "track_id", Coalesce("track__release__release_date", "release__release_date")
    )
    entitlements_grant_by_id(
        email=order.email, items=list(items), source=EntitlementSource.ORDER, ref=order_ref(order)
    )


@receiver(order_refunded, dispatch_uid="delivery_order_refunded")
def order_refunded_revoke(sender: type, order: Any, **kwargs: Any) -> None:
    entitlements_revoke(
        source=EntitlementSource.ORDER, ref=order_ref(order), reason="order refunded"
    )
