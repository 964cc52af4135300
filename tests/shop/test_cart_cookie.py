"""The cart is a signed cookie: no session, no database write, no trust in its contents."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import Client, RequestFactory

from disquaire.orders.models import Order
from disquaire.shop.views import CART_COOKIE, CART_SALT, cart_read
from tests.shop.factories import OfferFactory, PaymentSettingsFactory
from tests.shop.helpers import checkout_post

pytestmark = pytest.mark.django_db


def _cart_in(client: Client) -> list[dict[str, object]]:
    request = RequestFactory().get("/cart/")
    morsel = client.cookies.get(CART_COOKIE)
    if morsel is not None:
        request.COOKIES[CART_COOKIE] = morsel.value
    return cart_read(request)


def _signed(value: str) -> str:
    response = HttpResponse()
    response.set_signed_cookie(CART_COOKIE, value, salt=CART_SALT)
    return response.cookies[CART_COOKIE].value


def test_filling_a_cart_needs_no_session(client: Client) -> None:
    offer = OfferFactory(price_minor=900)

    response = client.post("/cart/add/", {"offer": offer.pk})

    assert response.status_code == 302
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()
    assert _cart_in(client) == [{"o": offer.pk, "p": None, "q": 1, "a": 900}]
    page = client.get("/cart/")
    assert offer.title in page.content.decode()
    cookie = response.cookies[CART_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_a_cart_cookie_edited_by_hand_is_ignored(client: Client) -> None:
    offer, other = OfferFactory(price_minor=900), OfferFactory(title="Not in the cart")
    client.post("/cart/add/", {"offer": offer.pk})
    signed = client.cookies[CART_COOKIE].value
    forged = signed.replace(f'"o":{offer.pk},', f'"o":{other.pk},', 1)
    assert forged != signed
    client.cookies[CART_COOKIE] = forged

    page = client.get("/cart/").content.decode()

    assert other.title not in page and offer.title not in page


def test_a_price_written_into_the_cookie_does_not_change_what_is_paid(client: Client) -> None:
    offer = OfferFactory(price_minor=900)
    PaymentSettingsFactory(artist=offer.artist)
    tampered = json.dumps([{"o": offer.pk, "p": None, "q": 1, "a": 1}])
    client.cookies[CART_COOKIE] = _signed(tampered)

    checkout_post(client, offer.artist, {"email": "fan@example.org", "provider": "test"})

    assert Order.objects.get().total_minor == 900


def test_checkout_takes_its_lines_out_of_the_cookie_and_keeps_the_others(client: Client) -> None:
    mine, theirs = OfferFactory(), OfferFactory()
    PaymentSettingsFactory(artist=mine.artist)
    client.post("/cart/add/", {"offer": mine.pk})
    client.post("/cart/add/", {"offer": theirs.pk})

    response = checkout_post(client, mine.artist, {"email": "fan@example.org", "provider": "test"})

    assert response.status_code == 302
    assert [item["o"] for item in _cart_in(client)] == [theirs.pk]


HUGE = "9" * 29  # found by the cart fuzzer (tests/fuzz): past any database's integer


def test_adding_an_offer_id_larger_than_any_database_integer_is_refused_not_a_crash(
    client: Client,
) -> None:
    response = client.post("/cart/add/", {"offer": HUGE}, follow=True)

    assert response.status_code == 200
    assert _cart_in(client) == []


@pytest.mark.parametrize("key", ["o", "p", "q", "a"])
def test_a_cart_cookie_naming_a_huge_number_shows_the_cart_without_that_line(
    client: Client, key: str
) -> None:
    offer = OfferFactory(price_minor=900)
    line: dict[str, object] = {"o": offer.pk, "q": 1, key: int(HUGE)}
    client.cookies[CART_COOKIE] = _signed(json.dumps([line]))

    assert client.get("/cart/").status_code == 200
    assert client.get(f"/checkout/{offer.artist.slug}/").status_code in (200, 302)
