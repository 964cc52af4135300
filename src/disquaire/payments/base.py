"""The payment provider interface (after pretix's BasePaymentProvider).

A provider is an adapter: it takes the buyer to pay and reads what its service says, and
answers with outcomes (``payments.outcomes``). It never changes an order and never
imports the orders room: ``orders.outcomes`` builds what it needs (a ``Checkout``) and
applies what it returns. Providers are registered (``payments.registry``), not listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise

from disquaire.payments.models import PaymentSettings
from disquaire.payments.outcomes import Checkout, Outcome, PaymentLookup, Started

if TYPE_CHECKING:
    from disquaire.orders.models import Payment


class ProviderError(Exception):
    """The provider could not do what was asked; the message is safe to show."""


class RefundUnsupported(ProviderError):
    """This provider cannot give money back: the band must do it by hand."""


class RefundFailed(ProviderError):
    """The provider refused or failed the refund."""


@dataclass
class WebhookReceipt:
    """A notification read by its provider. ``outcomes`` None: answer ``response`` at once
    (bad signature, already processed…); else apply them, then ``webhook_done``."""

    response: HttpResponse
    outcomes: list[Outcome] | None = None
    event_pk: int | None = None


# How orders starts a payment (``orders.outcomes.payment_checkout_start``), installed by
# the orders app when it is ready: ``start_checkout`` goes through it without an import.
CHECKOUT_START: list[Callable[..., str]] = []


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

    def checkout_begin(self, checkout: Checkout, request: HttpRequest) -> Started:
        """Start taking ``checkout``'s payment: where to send the buyer, and our reference."""
        raise NotImplementedError

    def start_checkout(self, payment: Payment, request: HttpRequest) -> str:
        """Start paying ``payment`` and return the URL to send the buyer to (the orders
        room builds the checkout, calls ``checkout_begin`` and applies its outcome)."""
        (start,) = CHECKOUT_START
        return start(provider=self, payment=payment, request=request)

    def webhook_receive(self, request: HttpRequest, *, lookup: PaymentLookup) -> WebhookReceipt:
        """Read the provider's notification: verify it, store it once, say what happened."""
        return WebhookReceipt(HttpResponse(status=404))

    def webhook_done(self, receipt: WebhookReceipt) -> HttpResponse:
        """The outcomes of ``receipt`` were applied: remember the event as processed."""
        return receipt.response

    def refund(self, payment: Payment, amount_minor: int, *, idempotency_key: str = "") -> str:
        """Give ``amount_minor`` back; return the provider's refund id.

        ``idempotency_key`` is the same on every retry of one refund, so a provider that
        supports it never pays back twice. Raises RefundUnsupported when the provider
        cannot, RefundFailed when it failed.
        """
        raise RefundUnsupported(f"{self.identifier} cannot refund")
