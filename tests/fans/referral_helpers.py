"""Shared steps of the referral tests: a band with rewards on, referred orders paid."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from disquaire.catalog.models import Artist
from disquaire.fans.referrals import services
from disquaire.fans.referrals.models import ReferralSettings, ShareLink
from disquaire.orders.models import Order, Payment
from disquaire.orders.services import LineSpec, order_create_paying, payment_confirm
from disquaire.selling.models import Offer
from tests.shop.factories import OfferFactory

REFERRER = "promoter@example.org"
BUYER = "friend@example.org"


def rewards_on(artist: Artist, **fields: Any) -> ReferralSettings:
    values: dict[str, Any] = {
        "enabled": True,
        "credit_basis_points": 1000,  # 10 %
        "hold_days": 14,
        "cap_to_spent": False,
    }
    values.update(fields)
    return services.referral_settings_update(artist=artist, actor="owner@example.org", **values)


def band_offer(price: int = 1000, **kwargs: Any) -> Offer:
    offer = OfferFactory(price_minor=price, **kwargs)
    rewards_on(offer.artist)
    return offer


def visit(
    link: ShareLink | None, *, ago: timedelta = timedelta(hours=1), **kwargs: Any
) -> services.ReferralVisit:
    return services.ReferralVisit(
        code=link.code if link else "", visited_at=timezone.now() - ago, **kwargs
    )


def order_unpaid(
    offer: Offer, *, email: str = BUYER, price: int | None = None, credit: int = 0
) -> tuple[Order, Payment]:
    """A test-mode order of one unit, payment started (as the test provider does)."""
    return order_create_paying(
        provider="test",
        started=True,
        is_test=True,
        artist=offer.artist,
        email=email,
        lines=[
            LineSpec(
                offer=offer,
                option=None,
                quantity=1,
                unit_price_minor=offer.price_minor if price is None else price,
            )
        ],
        credit_minor=credit,
    )


def referred_sale(
    offer: Offer,
    *,
    link: ShareLink,
    email: str = BUYER,
    price: int | None = None,
    when: services.ReferralVisit | None = None,
    card: str = "",
    now: datetime | None = None,
) -> Order:
    """A buyer comes through ``link``, checks out and pays."""
    order, payment = order_unpaid(offer, email=email, price=price)
    services.referral_attach(order=order, visit=when or visit(link), now=now)
    if card:
        Payment.objects.filter(pk=payment.pk).update(provider_data={"card_fingerprint": card})
    payment_confirm(payment=payment)
    order.refresh_from_db()
    return order


def fan_client(email: str) -> Any:
    """A browser signed in to the library as ``email``."""
    from django.test import Client

    from disquaire.fans.models import Fan
    from disquaire.fans.services import SESSION_FAN_ID, SESSION_FAN_KEY, fan_session_key

    fan, _created = Fan.objects.get_or_create(email=email)
    client = Client()
    session = client.session
    session[SESSION_FAN_ID] = fan.pk
    session[SESSION_FAN_KEY] = fan_session_key(fan)
    session.save()
    return client
