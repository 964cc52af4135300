from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from disquaire.payments.base import BasePaymentProvider
from disquaire.payments.outcomes import Checkout, Started

if TYPE_CHECKING:
    from disquaire.orders.models import Payment


class FreeProvider(BasePaymentProvider):
    """Orders of total 0: confirmed at once by the checkout, never chosen by a buyer."""

    identifier = "free"
    verbose_name = _("Free")

    def checkout_begin(self, checkout: Checkout, request: HttpRequest) -> Started:
        return Started(
            provider=self.identifier,
            payment_id=checkout.payment_id,
            redirect_url=checkout.page_path,
        )

    def refund(self, payment: Payment, amount_minor: int, *, idempotency_key: str = "") -> str:
        return ""
