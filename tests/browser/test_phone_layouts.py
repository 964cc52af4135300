"""What only a browser shows on a phone: the band's desk fits the screen in French (the
longest words), and the order page of a test order keeps its blocks apart."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from disquaire.catalog.models import Membership
from disquaire.orders.models import Order
from disquaire.orders.selectors import order_page_path
from disquaire.orders.services import payment_confirm, payment_create
from disquaire.selling.models import Offer
from tests.factories import ArtistFactory, MembershipFactory, UserFactory
from tests.shop.factories import OfferFactory, PaymentSettingsFactory
from tests.shop.helpers import order_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(page: Any, live_server: Any, user: Any) -> Any:
    client = Client()
    client.force_login(user)
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


def test_the_desk_fits_a_phone_screen_in_french(new_page: Any, live_server: Any) -> None:
    user = UserFactory()
    artist = ArtistFactory(name="Les Cousins Mécaniques")
    MembershipFactory(artist=artist, user=user, role=Membership.Role.OWNER)
    page = _signed_in(
        new_page(
            viewport={"width": 390, "height": 844},
            locale="fr-FR",
            extra_http_headers={"Accept-Language": "fr-FR"},
        ),
        live_server,
        user,
    )
    page.goto(f"{live_server.url}/backstage/")
    assert page.locator("#figures-title").inner_text() == "Ventes et écoutes"
    overflow = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map((el) => el.tagName + '.' + el.className)"""
    )
    assert overflow == []
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    # The account links keep each to one line ("Mot de passe" broke over three).
    lines = page.evaluate(
        """() => [...document.querySelectorAll('.bs-nav a, .bs-nav button')].map((el) => {
            const range = document.createRange();
            range.selectNodeContents(el);
            return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
        })"""
    )
    assert lines and all(n == 1 for n in lines), lines


def test_a_test_orders_page_keeps_its_banners_apart_and_the_address_apart_from_the_note(
    new_page: Any, live_server: Any
) -> None:
    order = order_for(OfferFactory(kind=Offer.Kind.PHYSICAL, price_minor=1200, title="CD"))
    Order.objects.filter(pk=order.pk).update(is_test=True)
    PaymentSettingsFactory(artist=order.artist, test_mode=True)
    payment_confirm(payment=payment_create(order=order, provider="test"))
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(live_server.url + order_page_path(order))
    # The site's test-mode banner above the header keeps its own look (no dashed frame:
    # that is the order's own banner, inside the page).
    site_banner = page.locator("body > .test-banner, header ~ .test-banner").first
    assert site_banner.evaluate("(el) => getComputedStyle(el).borderTopStyle") == "none"
    assert (
        page.locator("main .test-banner").evaluate("(el) => getComputedStyle(el).borderTopStyle")
        == "dashed"
    )
    gaps = page.evaluate(
        """() => {
            const box = (s) => document.querySelector(s).getBoundingClientRect();
            return [
                box('.page-order .eyebrow').top - box('.page-order .test-banner').bottom,
                box('.page-order .order-keep').top - box('.page-order address').bottom,
            ];
        }"""
    )
    assert all(gap >= 8 for gap in gaps), gaps


def test_the_test_mode_buttons_do_not_touch_on_a_phone(new_page: Any, live_server: Any) -> None:
    user = UserFactory()
    artist = ArtistFactory()
    MembershipFactory(artist=artist, user=user, role=Membership.Role.OWNER)
    PaymentSettingsFactory(artist=artist, test_mode=True)
    order = order_for(OfferFactory(artist=artist))
    Order.objects.filter(pk=order.pk).update(is_test=True)
    page = _signed_in(
        new_page(
            viewport={"width": 390, "height": 844},
            locale="fr-FR",
            extra_http_headers={"Accept-Language": "fr-FR"},
        ),
        live_server,
        user,
    )
    page.goto(f"{live_server.url}/backstage/artists/{artist.slug}/payments/")
    buttons = page.locator("#test-title ~ * button").all()
    assert len(buttons) == 2
    first, second = (button.bounding_box() for button in buttons)
    apart_below = second["y"] >= first["y"] + first["height"] + 4
    apart_beside = second["x"] >= first["x"] + first["width"] + 4
    assert apart_below or apart_beside, (first, second)
