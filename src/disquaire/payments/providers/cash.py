from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from disquaire.payments.base import BasePaymentProvider
from disquaire.payments.outcomes import Checkout, Started


class CashProvider(BasePaymentProvider):
    """Cash on collection: the fan picks the order up from the band and pays then; the
    band marks it paid (``orders.services.order_collect_cash``). Offered only with local
    pick-up, and the order holds its units for DISQUAIRE_PICKUP_HOLD_DAYS."""

    identifier = "cash"
    verbose_name = _("Cash on collection")
    description = _("Pay in cash when you collect your order from the band.")
    starts_at_once = True
    needs_pickup = True

    def is_available(self) -> bool:
        return self.config is not None and self.config.cash_enabled

    @property
    def hold(self) -> timedelta | None:
        return timedelta(days=settings.DISQUAIRE_PICKUP_HOLD_DAYS)

    def checkout_begin(self, checkout: Checkout, request: HttpRequest) -> Started:
        return Started(
            provider=self.identifier,
            payment_id=checkout.payment_id,
            provider_ref=f"cash-{checkout.order_code}",
            actor="buyer",
            redirect_url=checkout.page_path,
        )
