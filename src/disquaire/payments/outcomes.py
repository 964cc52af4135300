"""What a payment provider reports, as values: the orders room applies them.

A provider never changes an order: it answers with one of these (started, paid, failed,
expired, refunded — with amount and currency where money moved) and
``orders.outcomes.outcome_apply`` locks, checks (the amount, the state) and writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """Which payment: ``payment_id`` (ours, as the provider echoes it back) and/or
    ``provider_ref`` (the provider's own id). ``artist_id``: the outcome came through a
    band's own account, which speaks for that band's orders alone."""

    provider: str
    payment_id: int | None = None
    provider_ref: str = ""
    artist_id: int | None = None
    actor: str = "provider"


@dataclass(frozen=True, kw_only=True)
class Started(Outcome):
    """The provider has the buyer now: send them to ``redirect_url``."""

    redirect_url: str


@dataclass(frozen=True, kw_only=True)
class Paid(Outcome):
    """The money is there. ``amount_minor``/``currency``: what the provider took (None when
    it did not say, which never matches); ``label`` names the payment for a person
    ("Stripe session cs_…") and ``dashboard`` where to check it; ``remember``: provider
    data to keep on the payment (a Stripe payment intent, for refunds)."""

    amount_minor: int | None
    currency: str
    label: str = ""
    dashboard: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    remember: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Failed(Outcome):
    """This attempt will not be paid (declined)."""

    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Expired(Outcome):
    """The buyer left and the provider closed the attempt (a Stripe session expired)."""

    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Refunded(Outcome):
    """``refunded_minor`` has gone back in all, in ``currency`` (e.g. from the provider's
    dashboard). ``match``: provider data that finds the payment when the provider does
    not know our id (``{"payment_intent": "pi_…"}``)."""

    refunded_minor: int
    currency: str = ""
    match: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckoutItem:
    name: str
    quantity: int
    unit_minor: int


@dataclass(frozen=True, kw_only=True)
class Checkout:
    """What a provider needs to start taking one payment, given by the orders room."""

    payment_id: int
    order_code: str
    email: str
    amount_minor: int
    currency: str
    items: tuple[CheckoutItem, ...]
    shipping_minor: int
    page_path: str  # the order's page on this site, where the buyer comes back


class PaymentLookup(Protocol):
    """Questions a provider may ask of our payments before it calls its own API (so that
    an event about someone else's payment never costs a call), answered by orders."""

    def ref_known(self, *, provider: str, provider_ref: str) -> bool: ...

    def refundable(self, *, provider: str, match: dict[str, str], artist_id: int | None) -> bool:
        """A confirmed (or already refunded) payment of ``provider`` has this data."""
        ...
