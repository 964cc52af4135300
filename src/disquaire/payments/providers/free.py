from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from disquaire.orders.models import Payment
from disquaire.orders.selectors import order_page_path
from disquaire.payments.base import BasePaymentProvider


class FreeProvider(BasePaymentProvider):
    """Orders of total 0: confirmed at once by the checkout, never chosen by a buyer."""

    identifier = "free"
    verbose_name = _("Free")

    def start_checkout(self, payment: Payment, request: HttpRequest) -> str:
        return order_page_path(payment.order)

    def refund(self, payment: Payment, amount_minor: int, *, idempotency_key: str = "") -> str:
        return ""
