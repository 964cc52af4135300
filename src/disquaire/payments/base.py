"""The payment provider interface (after pretix's BasePaymentProvider).

A provider takes the buyer to pay and tells us when the money is there. It never
changes an order itself: it calls ``orders.services.payment_confirm`` (idempotent, locks
the payment), ``payment_fail`` or ``payment_refunded_by_provider``.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise

from disquaire.orders.models import Payment
from disquaire.payments.models import PaymentSettings


class ProviderError(Exception):
    """The provider could not do what was asked; the message is safe to show."""


class RefundUnsupported(ProviderError):
    """This provider cannot give money back: the band must do it by hand."""


class RefundFailed(ProviderError):
    """The provider refused or failed the refund."""


class BasePaymentProvider:
    identifier: str = ""
    verbose_name: str | Promise = ""
    # Shown at checkout before the buyer leaves the site.
    description: str | Promise = ""
    is_test: bool = False
    # The payment page is ours (test, manual): the buyer is there as soon as the payment
    # exists, so checkout creates it pending, as ``start_checkout`` would, in the order's
    # own transaction (orders.services.order_create_paying).
    starts_at_once: bool = False
    # Offered only when the buyer collects the order (cash on collection).
    needs_pickup: bool = False

    def __init__(self, config: PaymentSettings | None = None) -> None:
        """``config``: the artist's payment settings (None: the operator's alone)."""
        self.config = config

    def is_available(self) -> bool:
        """May buyers choose this provider now (set up by the band, allowed in this mode)?"""
        return True

    @property
    def marks_test(self) -> bool:
        """Are orders paid this way test orders (no real money)?"""
        return self.is_test

    @property
    def hold(self) -> timedelta | None:
        """How long an order paid this way holds its units (None: the usual
        DISQUAIRE_RESERVATION_MINUTES)."""
        return None

    def start_checkout(self, payment: Payment, request: HttpRequest) -> str:
        """Start paying ``payment`` and return the URL to send the buyer to."""
        raise NotImplementedError

    def handle_webhook(self, request: HttpRequest) -> HttpResponse:
        """Answer the provider's notification: verify it, store it once, act on it."""
        return HttpResponse(status=404)

    def refund(self, payment: Payment, amount_minor: int, *, idempotency_key: str = "") -> str:
        """Give ``amount_minor`` back; return the provider's refund id.

        ``idempotency_key`` is the same on every retry of one refund, so a provider that
        supports it never pays back twice. Raises RefundUnsupported when the provider
        cannot, RefundFailed when it failed.
        """
        raise RefundUnsupported(f"{self.identifier} cannot refund")
