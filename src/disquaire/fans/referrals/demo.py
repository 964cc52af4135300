"""The demo's referrals: the band rewards sharing, and a demo fan has credit to spend."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from disquaire.catalog.models import Artist, Release
from disquaire.fans.models import Fan
from disquaire.fans.referrals import services
from disquaire.fans.referrals.models import ShareLink
from disquaire.orders.services import LineSpec, order_create_paying, payment_confirm
from disquaire.selling.models import Offer

DEMO_FAN = "demo.fan@example.org"


def _test_sale(*, offer: Offer, email: str, price: int, link: ShareLink | None) -> None:
    """A paid test order of ``offer`` by ``email``, through ``link`` when given."""
    order, payment = order_create_paying(
        provider="test",
        started=True,
        is_test=True,
        artist=offer.artist,
        email=email,
        lines=[LineSpec(offer=offer, option=None, quantity=1, unit_price_minor=price)],
    )
    if link is not None:
        visit = services.ReferralVisit(
            code=link.code, visited_at=timezone.now() - timedelta(days=2)
        )
        services.referral_attach(order=order, visit=visit)
    payment_confirm(payment=payment, actor="demo")


def demo_referrals_create(*, artist: Artist, album: Release, password: str) -> bool:
    """10 % of referred sales as credit, a free release after 5; the demo fan bought the
    album and two friends bought it through their link (one sale's credit usable, one
    still on hold). Idempotent: False when the demo fan already has their link."""
    fan, _created = Fan.objects.get_or_create(email=DEMO_FAN)
    fan.password = make_password(password)
    fan.save(update_fields=["password"])
    if ShareLink.objects.filter(email=DEMO_FAN, release=album).exists():
        return False
    offer = Offer.objects.filter(release=album, kind=Offer.Kind.DIGITAL).order_by("pk").first()
    if offer is None:
        return False
    rules = {
        "enabled": True,
        "credit_basis_points": 1000,
        "free_release_after": 5,
        "monthly_cap_minor": 5000,
        "minimum_order_minor": 300,
        "cap_to_spent": True,
    }
    # The first friend's credit is usable at once (a hold of 0 then), the second's waits.
    services.referral_settings_update(artist=artist, actor="demo", hold_days=0, **rules)
    _test_sale(offer=offer, email=DEMO_FAN, price=1500, link=None)
    link = services.share_link_for(email=DEMO_FAN, release=album)
    _test_sale(offer=offer, email="friend.one@example.org", price=1200, link=link)
    services.referral_settings_update(artist=artist, actor="demo", hold_days=14, **rules)
    _test_sale(offer=offer, email="friend.two@example.org", price=900, link=link)
    return True
