from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from disquaire.orders.models import Payment, PaymentState
from disquaire.orders.selectors import order_page_path
from disquaire.orders.services import payment_started
from disquaire.payments.base import BasePaymentProvider


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

    def start_checkout(self, payment: Payment, request: HttpRequest) -> str:
        if payment.state == PaymentState.CREATED:
            ref = f"manual-{payment.order.code}"
            payment_started(payment=payment, provider_ref=ref, actor="buyer")
        return order_page_path(payment.order)
