"""What a new order is made of, as values: its lines, the address, and the order (with
its payment) that ``orders.services.order_place`` writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import timedelta

from disquaire.catalog.models import Artist
from disquaire.orders.models import Delivery
from disquaire.selling.models import Offer, OfferOption


@dataclass(frozen=True)
class LineSpec:
    """One line to put in a new order; the price was computed by the shop, never the client."""

    offer: Offer
    option: OfferOption | None
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True)
class Address:
    name: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""


@dataclass(frozen=True, kw_only=True)
class OrderSpec:
    """What a new order is made of: the keywords of ``order_create``.

    ``credit_minor``: store credit spent on it (the caller holds the fan's credit
    account locked and writes the spend in the same transaction), taken off the total."""

    artist: Artist
    email: str
    lines: Sequence[LineSpec]
    shipping_minor: int = 0
    address: Address | None = None
    vat_note: str = ""
    language: str = ""
    mailing_list_opt_in: bool = False
    actor: str = "buyer"
    referrer: str = ""
    campaign: str = ""
    delivery: str = Delivery.SHIP
    pickup_place: str = ""
    credit_minor: int = 0


@dataclass(frozen=True, kw_only=True)
class PayingOrderSpec(OrderSpec):
    """A new order and its payment: the keywords of ``order_create_paying``.

    ``started``: the provider's payment page is ours (test, manual), so the buyer is
    there as soon as the payment exists: it is created pending (``payment_started``,
    with ``<provider>-<order code>`` as its reference), in the same transaction.
    ``is_test``: no money moves (the test provider, Stripe's test keys). ``hold``: how
    long the units wait for the payment when the provider waits longer than a checkout
    (cash on collection)."""

    provider: str
    started: bool = False
    is_test: bool = False
    hold: timedelta | None = None

    @classmethod
    def of(
        cls,
        order: OrderSpec,
        *,
        provider: str,
        started: bool = False,
        is_test: bool = False,
        hold: timedelta | None = None,
    ) -> PayingOrderSpec:
        """``order`` with its payment: the order's keywords are not written twice."""
        made = {field.name: getattr(order, field.name) for field in fields(OrderSpec)}
        return cls(**made, provider=provider, started=started, is_test=is_test, hold=hold)


# --- orders ------------------------------------------------------------------------------
