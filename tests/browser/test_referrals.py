"""What only a browser shows of referrals: a friend buys through a fan's share link, the
fan's credit becomes usable once the holding period is over, and the fan spends it at
checkout (the Pay button follows the "use my store credit" box)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from playwright.sync_api import expect

from disquaire.fans.referrals import selectors as referral_selectors
from disquaire.fans.referrals import services
from disquaire.orders.models import Order, OrderState
from disquaire.selling.models import Offer
from tests.fans.referral_helpers import REFERRER, fan_client, rewards_on
from tests.shop.factories import OfferFactory, PaymentSettingsFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _Later:
    """``django.utils.timezone`` as the credit's selectors see it, some days ahead."""

    def __init__(self, days: int) -> None:
        self.days = days

    def now(self) -> datetime:
        return timezone.now() + timedelta(days=self.days)

    def __getattr__(self, name: str) -> Any:
        return getattr(timezone, name)


def _as_fan(new_page: Any, live_server: Any, email: str) -> Any:
    client = fan_client(email)
    page = new_page()
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


def _buy(page: Any, live_server: Any, offer: Offer, *, email: str = "") -> None:
    page.goto(live_server.url + offer.release.get_absolute_url())
    page.get_by_role("button", name="Add to cart").first.click()
    page.goto(f"{live_server.url}/checkout/{offer.artist.slug}/")
    if email:
        page.get_by_label("Email", exact=True).fill(email)


def test_a_referred_purchase_earns_credit_that_the_fan_spends_at_checkout(
    new_page: Any, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    album = OfferFactory(price_minor=2000, title="The album")
    artist = album.artist
    PaymentSettingsFactory(artist=artist, bank_enabled=False)  # test mode: no money moves
    rewards_on(artist, hold_days=14)
    link = services.share_link_for(email=REFERRER, release=album.release)

    # A friend opens the fan's link, buys the album and pays.
    friend = new_page()
    friend.goto(f"{live_server.url}/fans/r/{link.code}/")
    friend.wait_for_url(f"**{album.release.get_absolute_url()}")
    _buy(friend, live_server, album, email="friend@example.org")
    pay = friend.locator("[data-pay]")
    expect(pay).to_have_text("Pay €20.00")
    pay.click()
    friend.get_by_role("button", name="Simulate a successful payment").click()
    friend.wait_for_url("**/orders/**")
    assert Order.objects.get(email="friend@example.org").state == OrderState.PAID

    # The fan sees the credit on hold in their library.
    fan = _as_fan(new_page, live_server, REFERRER)
    fan.goto(f"{live_server.url}/library/")
    expect(fan.locator("#credit")).to_contain_text("€2.00 on hold")
    expect(fan.locator("[data-credit-available]")).to_have_text("€0.00 to spend")

    # Fifteen days later the sale can no longer be refunded: the credit is usable.
    monkeypatch.setattr(referral_selectors, "timezone", _Later(15))
    fan.reload()
    expect(fan.locator("[data-credit-available]")).to_have_text("€2.00 to spend")

    # The fan buys a €5.00 EP: €2.00 of credit, €3.00 by (test) card.
    ep = OfferFactory(price_minor=500, title="The EP", artist=artist)
    _buy(fan, live_server, ep, email=REFERRER)
    expect(fan.locator("[data-credit]")).to_have_text("−€2.00")
    pay = fan.locator("[data-pay]")
    expect(pay).to_have_text("Pay €3.00")
    box = fan.get_by_label("Use my store credit (€2.00 available)")
    box.uncheck()
    expect(pay).to_have_text("Pay €5.00")
    box.check()
    expect(pay).to_have_text("Pay €3.00")
    pay.click()
    fan.get_by_role("button", name="Simulate a successful payment").click()
    fan.wait_for_url("**/orders/**")
    order = Order.objects.get(email=REFERRER)
    assert (order.state, order.credit_minor, order.total_minor) == (OrderState.PAID, 200, 300)
    assert order.payments.get().amount_minor == 300
    expect(fan.locator("[data-order-credit]")).to_have_text("−€2.00")
    assert referral_selectors.credit_available(artist=artist, email=REFERRER) == 0
