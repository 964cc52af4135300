"""A CD sold, from the fan's click to the band's desk, in a real browser.

A fan buys a CD by bank transfer; the band confirms the transfer from its desk, gets the
new-order e-mail with what to post and where, sees "1 order to ship", marks it shipped
from the desk (one click), and the desk no longer lists it. Keyboard only on the band's
side: the desk's actions are reachable without a mouse.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client

from disquaire.catalog.models import Membership, Release
from disquaire.orders.models import Order, OrderState
from disquaire.selling.models import Offer
from tests.factories import ArtistFactory, MembershipFactory, ReleaseFactory, UserFactory
from tests.shop.factories import OfferFactory, PaymentSettingsFactory, ShippingZoneFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PAYMENT_PROVIDERS = ["manual"]


def _band_signed_in(page: Any, live_server: Any) -> Any:
    user = UserFactory(username="band@example.org", email="band@example.org")
    artist = ArtistFactory(name="Les Bijoux", slug="bijoux")
    MembershipFactory(artist=artist, user=user, role=Membership.Role.OWNER)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return artist


def test_a_fan_buys_a_cd_and_the_band_ships_it_from_its_desk(
    new_page: Any, live_server: Any
) -> None:
    band = new_page()
    artist = _band_signed_in(band, live_server)
    release = ReleaseFactory(
        artist=artist, title="Sous la pluie", visibility=Release.Visibility.PUBLISHED
    )
    OfferFactory(
        release=release, kind=Offer.Kind.PHYSICAL, title="Sous la pluie (CD)", price_minor=1200
    )
    ShippingZoneFactory(artist=artist, name="France", countries=["FR"], first_item_minor=350)
    # Bank transfer set up on the Payments page: free-text instructions only.
    PaymentSettingsFactory(
        artist=artist,
        test_mode=False,
        bank_holder="",
        bank_iban="",
        bank_instructions="IBAN FR76 3000 4000",
    )

    fan = new_page()
    fan.goto(live_server.url + release.get_absolute_url())
    fan.click("form.offer button[type=submit]")
    fan.click("text=Check out with")
    fan.fill("#id_email", "marie@example.org")
    fan.fill("#id_name", "Marie Dupont")
    fan.fill("#id_address", "12 rue des Lilas")
    fan.fill("#id_postcode", "75011")
    fan.fill("#id_city", "Paris")
    fan.select_option("#id_country", "FR")
    fan.click("main form button[type=submit]")
    fan.wait_for_url("**/orders/**")
    assert "IBAN FR76 3000 4000" in fan.content()
    order = Order.objects.get()
    assert fan.locator(".order-ref").inner_text() == order.code

    band.goto(live_server.url + "/backstage/")
    assert band.locator("#transfers-title").inner_text() == "1 bank transfer to confirm"
    band.locator("text=Mark received").focus()
    band.keyboard.press("Enter")
    band.wait_for_selector(".bs-messages")

    (new_order,) = [m for m in mail.outbox if m.to == ["band@example.org"]]
    assert order.code in new_order.subject and "to post" in new_order.subject
    for words in ("Sous la pluie (CD)", "Marie Dupont", "12 rue des Lilas", "75011 Paris"):
        assert words in new_order.body
    assert "€15.50" in new_order.body

    assert band.locator("#ship-title").inner_text() == "1 order to ship"
    parcel = band.locator(f"[data-order='{order.code}']")
    assert "Marie Dupont" in parcel.inner_text()
    parcel.locator("input[name=tracking_number]").fill("6A123456789")
    parcel.locator("input[name=tracking_number]").press("Tab")
    band.keyboard.press("Enter")  # the focused "Mark shipped" button
    band.wait_for_selector(".bs-messages")

    order.refresh_from_db()
    assert (order.state, order.tracking_number) == (OrderState.FULFILLED, "6A123456789")
    assert band.locator("#ship-title").count() == 0
    assert band.locator(f"[data-order='{order.code}']").count() == 0
    assert "Nothing to do right now" in band.locator(".desk-todo").inner_text()
    assert any(m.to == ["marie@example.org"] and "shipped" in m.subject for m in mail.outbox)
