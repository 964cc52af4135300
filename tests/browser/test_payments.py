"""What only a browser shows of taking money: a band sets up Stripe (against the local
fake of Stripe's API) and bank transfer on its Payments page; a fan sees the shipping
and the exact total for the only country and for the one they choose, and pays it."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from disquaire.catalog.models import Membership
from disquaire.core import csp
from disquaire.orders.models import Order, OrderState, Payment
from disquaire.payments.models import PaymentSettings
from disquaire.selling.models import Offer
from tests.factories import ArtistFactory, MembershipFactory, ReleaseFactory, UserFactory
from tests.payments.fake_stripe import FakeStripe, fake_stripe, fake_stripe_api
from tests.shop.factories import OfferFactory, PaymentSettingsFactory, ShippingZoneFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["fake_stripe", "fake_stripe_api"]

SECRET = "sk_test_51BandKey0123456789"


def _signed_in(new_page: Any, live_server: Any, user: Any) -> Any:
    client = Client()
    client.force_login(user)
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


def test_a_band_connects_stripe_and_sets_up_bank_transfer(
    new_page: Any, live_server: Any, fake_stripe_api: FakeStripe, settings: Any
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SITE_URL = live_server.url  # the address Stripe is asked to call
    user = UserFactory()
    artist = ArtistFactory()
    MembershipFactory(artist=artist, user=user, role=Membership.Role.OWNER)
    page = _signed_in(new_page, live_server, user)
    page.goto(f"{live_server.url}/backstage/artists/{artist.slug}/payments/")
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "not-ready")

    stripe = page.locator("#stripe-form")
    stripe.get_by_label("Secret key").fill("sk_test_wrong")
    stripe.get_by_role("button", name="Connect Stripe").click()
    expect(page.get_by_role("alert").first).to_contain_text("Stripe refused this secret key")

    stripe = page.locator("#stripe-form")
    stripe.get_by_label("Secret key").fill(SECRET)
    stripe.get_by_role("button", name="Connect Stripe").click()
    expect(page.get_by_text("Stripe is connected: fans can pay by card.")).to_be_visible()
    expect(page.locator("[data-stripe-state]")).to_have_attribute("data-stripe-state", "ready")
    expect(page.get_by_text("The Fake Band")).to_be_visible()
    assert SECRET not in page.content()
    (endpoint,) = fake_stripe_api.endpoints.values()
    assert endpoint["url"] == f"{live_server.url}/payments/stripe/webhook/{artist.pk}/"

    bank = page.locator("#bank-form")
    bank.get_by_label("Offer bank transfer at checkout").check()
    bank.get_by_label("Account holder").fill("Les Bijoux")
    bank.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 188")
    bank.get_by_label("BIC (SWIFT code)").fill("AGRIFRPP")
    bank.get_by_role("button", name="Save").click()
    expect(page.locator("#bank-form")).to_contain_text("check digits do not match")
    expect(page.locator("[data-bank-state]")).not_to_have_attribute("data-bank-state", "ready")

    bank = page.locator("#bank-form")
    bank.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    bank.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The bank transfer details are saved.")).to_be_visible()
    expect(page.locator("[data-bank-state]")).to_have_attribute("data-bank-state", "ready")
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "ready")
    config = PaymentSettings.objects.get(artist=artist)
    assert config.bank_iban == "FR7630006000011234567890189" and not config.test_mode


def _cd(countries: dict[str, int]) -> Offer:
    """A €12.00 CD with a shipping zone per country (code: first-item price)."""
    release = ReleaseFactory()
    offer = OfferFactory(release=release, kind=Offer.Kind.BUNDLE, price_minor=1200)
    for code, price in countries.items():
        ShippingZoneFactory(
            artist=release.artist, name=code, countries=[code], first_item_minor=price
        )
    return offer


def _to_checkout(page: Any, live_server: Any, offer: Offer) -> None:
    page.goto(live_server.url + offer.release.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    page.goto(f"{live_server.url}/checkout/{offer.artist.slug}/")


def _address(page: Any) -> None:
    page.get_by_label("Email", exact=True).fill("fan@example.org")
    page.get_by_label("Full name", exact=True).fill("A Fan")
    page.get_by_label("Address", exact=True).fill("1 rue du Port")
    page.get_by_label("Postcode", exact=True).fill("44000")
    page.get_by_label("City", exact=True).fill("Nantes")


def test_with_the_only_country_the_fan_sees_and_pays_the_exact_total_by_card(
    page: Any, live_server: Any, fake_stripe: FakeStripe, settings: Any, monkeypatch: Any
) -> None:
    # The page's policy lets forms lead to Stripe's checkout origin: here, the fake's.
    monkeypatch.setitem(csp.PROVIDER_FORM_ORIGINS, "stripe", (fake_stripe.base,))
    settings.PAYMENT_PROVIDERS = ["manual", "stripe"]  # a fresh key for the policy cache
    offer = _cd({"FR": 350})
    PaymentSettingsFactory(artist=offer.artist, test_mode=False, bank_enabled=False)
    _to_checkout(page, live_server, offer)
    expect(page.locator("[data-shipping]")).to_have_text("€3.50")
    expect(page.locator("[data-total]")).to_have_text("€15.50")
    pay = page.locator("[data-pay]")
    expect(pay).to_have_text("Pay €15.50")
    _address(page)
    pay.click()
    page.wait_for_url(f"{fake_stripe.base}/pay/**")
    expect(page.get_by_text("Stripe Checkout (local fake)")).to_be_visible()
    session = fake_stripe.sessions[Payment.objects.get().provider_ref]
    assert session["amount_total"] == 1550 == Order.objects.get().total_minor


def test_the_total_follows_the_country_the_fan_chooses_and_is_what_they_pay(
    page: Any, live_server: Any
) -> None:
    offer = _cd({"FR": 350, "BE": 700})
    PaymentSettingsFactory(artist=offer.artist, bank_enabled=False)  # test mode
    _to_checkout(page, live_server, offer)
    expect(page.locator("[data-shipping]")).to_have_text("depends on the country")
    pay = page.locator("[data-pay]")
    expect(pay).to_have_text("Show the total")
    page.get_by_label("Country").select_option("BE")
    expect(page.locator("[data-shipping]")).to_have_text("€7.00")
    expect(page.locator("[data-total]")).to_have_text("€19.00")
    expect(pay).to_have_text("Pay €19.00")
    page.get_by_label("Country").select_option("FR")
    expect(pay).to_have_text("Pay €15.50")
    page.get_by_label("Country").select_option("BE")
    expect(pay).to_have_text("Pay €19.00")
    _address(page)
    pay.click()
    expect(page.get_by_text("no money moves").first).to_be_visible()
    page.get_by_role("button", name="Simulate a successful payment").click()
    page.wait_for_url("**/orders/**")
    order = Order.objects.get()
    assert (order.total_minor, order.ship_country, order.state) == (1900, "BE", OrderState.PAID)
    expect(page.locator("main")).to_contain_text("€19.00")


def test_a_fan_who_picks_up_gives_no_address_pays_no_postage_and_may_pay_cash(
    page: Any, live_server: Any
) -> None:
    from tests.shop.factories import ShopSettingsFactory

    offer = _cd({"FR": 350, "BE": 700})
    PaymentSettingsFactory(artist=offer.artist, bank_enabled=False, cash_enabled=True)
    ShopSettingsFactory(
        artist=offer.artist, pickup_enabled=True, pickup_place="Rehearsal studio, Nantes"
    )
    _to_checkout(page, live_server, offer)
    cash = page.get_by_label("Cash on collection", exact=False)
    expect(page.get_by_label("Address", exact=True)).to_be_visible()
    expect(cash).to_be_hidden()  # shipped: no cash
    page.locator("input[name=delivery][value=pickup]").check()
    expect(page.get_by_label("Address", exact=True)).to_be_hidden()
    expect(page.locator("[data-shipping]")).to_have_text("none: you pick it up")
    pay = page.locator("[data-pay]")
    expect(pay).to_have_text("Pay €12.00")
    expect(cash).to_be_visible()
    page.locator("input[name=delivery][value=ship]").check()
    expect(cash).to_be_hidden()
    expect(page.get_by_label("Address", exact=True)).to_be_visible()
    page.locator("input[name=delivery][value=pickup]").check()
    page.get_by_label("Email", exact=True).fill("fan@example.org")
    page.get_by_label("Full name", exact=True).fill("A Fan")
    page.locator("input[name=provider][value=test]").check()
    expect(pay).to_have_text("Pay €12.00")
    cash.check()  # nothing is paid now: the button orders and says what is paid then
    expect(pay).to_have_text("Order — pay €12.00 on collection")
    pay.click()
    page.wait_for_url("**/orders/**")
    expect(page.locator("main")).to_contain_text("Rehearsal studio, Nantes")
    order = Order.objects.get()
    assert (order.total_minor, order.delivery, order.state) == (1200, "pickup", OrderState.PENDING)
