from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from disquaire.core.signing import token_make
from disquaire.payments.base import BasePaymentProvider
from disquaire.payments.outcomes import Checkout, Started

if TYPE_CHECKING:
    from disquaire.orders.models import Payment

TOKEN_PURPOSE = "payments.test"  # noqa: S105 (a signing salt, not a secret)


def may_take_test_payments() -> bool:
    """Whether this server may take test payments at all: not in production, unless the
    operator allows it (DISQUAIRE_TEST_PAYMENTS_IN_PRODUCTION)."""
    return not settings.PRODUCTION or settings.DISQUAIRE_TEST_PAYMENTS_IN_PRODUCTION


class TestProvider(BasePaymentProvider):
    """For the demo: a page with "succeed" and "decline" buttons. No money moves."""

    __test__ = False  # not a pytest class
    identifier = "test"
    verbose_name = _("TEST PAYMENT — no money moves")
    description = _("A demonstration page: nothing is charged.")
    is_test = True
    starts_at_once = True

    def is_available(self) -> bool:
        # Only in the test mode a band turned on (Payments page); never on its own.
        if self.config is None or not self.config.test_mode:
            return False
        return may_take_test_payments()

    def checkout_begin(self, checkout: Checkout, request: HttpRequest) -> Started:
        if not self.is_available():
            raise PermissionError("test payments are refused in production")
        pk = checkout.payment_id
        token = token_make(purpose=TOKEN_PURPOSE, payload={"p": pk}, ttl_seconds=24 * 3600)
        return Started(
            provider=self.identifier,
            payment_id=pk,
            provider_ref=f"test-{checkout.order_code}",
            actor="buyer",
            redirect_url=reverse("payments:test_pay", kwargs={"payment_id": pk, "token": token}),
        )

    def refund(self, payment: Payment, amount_minor: int, *, idempotency_key: str = "") -> str:
        return f"test-refund-{payment.pk}"
