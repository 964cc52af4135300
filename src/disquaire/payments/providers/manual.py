from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from disquaire.payments.base import BasePaymentProvider
from disquaire.payments.outcomes import Checkout, Started


class ManualProvider(BasePaymentProvider):
    """Bank transfer or cash: the order page shows the band's instructions and the band
    marks the payment paid (``orders.services.payment_manual_mark_paid``)."""

    identifier = "manual"
    verbose_name = _("Bank transfer")
    description = _("You will see the band's bank details; your order is sent once they get it.")
    starts_at_once = True

    def is_available(self) -> bool:
        # Offered once the band said where the money goes (Payments page).
        return self.config is not None and self.config.bank_enabled and self.config.bank_ready

    def checkout_begin(self, checkout: Checkout, request: HttpRequest) -> Started:
        return Started(
            provider=self.identifier,
            payment_id=checkout.payment_id,
            provider_ref=f"manual-{checkout.order_code}",
            actor="buyer",
            redirect_url=checkout.page_path,
        )
