"""What the fuzz targets that reach the database need: a band selling a digital album,
and an order of it waiting for a Stripe payment."""

from __future__ import annotations

from disquaire.orders.models import Payment, PaymentState
from disquaire.selling.models import Offer
from tests.factories import ReleaseFactory
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for


def offer_for_sale() -> Offer:
    return OfferFactory(release=ReleaseFactory(), title="Digital album", price_minor=1000)


def stripe_payment() -> Payment:
    order = order_for(offer_for_sale())
    return Payment.objects.create(
        order=order,
        provider="stripe",
        provider_ref="cs_fuzz",
        state=PaymentState.PENDING,
        amount_minor=order.total_minor,
        currency=order.currency,
    )
