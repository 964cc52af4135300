"""Orders becoming paid or refunded grant or take back their downloads; the order page
asks where they are downloaded."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from disquaire.delivery.models import EntitlementSource
from disquaire.delivery.services import entitlements_grant_order, entitlements_revoke
from disquaire.orders.signals import order_downloads_url, order_paid, order_refunded


def order_ref(order: Any) -> str:
    return f"order:{order.code}"


@receiver(order_paid, dispatch_uid="delivery_order_paid")
def order_paid_grant(sender: type, order: Any, **kwargs: Any) -> None:
    """Every line that includes a download becomes an entitlement of the buyer's email.
    An order without an address has no line (a merch-table sale paid on the fan's phone,
    whose codes the table gives): nothing to grant."""
    if not order.email:
        return
    entitlements_grant_order(
        order_id=order.pk, email=order.email, source=EntitlementSource.ORDER, ref=order_ref(order)
    )


@receiver(order_refunded, dispatch_uid="delivery_order_refunded")
def order_refunded_revoke(sender: type, order: Any, **kwargs: Any) -> None:
    entitlements_revoke(
        source=EntitlementSource.ORDER, ref=order_ref(order), reason="order refunded"
    )


@receiver(order_downloads_url, dispatch_uid="delivery_order_downloads_url")
def order_downloads_url_answer(sender: type, order: Any, **kwargs: Any) -> str:
    from disquaire.delivery.selectors import order_download_page_url

    return order_download_page_url(order=order)
