"""The buy box on the cached public release page, and adding to the cart from it."""

from __future__ import annotations

import pytest
from django.test import Client

from disquaire.selling.models import Offer
from tests.factories import ReleaseFactory
from tests.shop.factories import OfferFactory, ShippingZoneFactory

pytestmark = pytest.mark.django_db


def test_release_page_shows_the_offer_ladder_without_a_per_visitor_token(client: Client) -> None:
    release = ReleaseFactory()
    OfferFactory(
        artist=release.artist, release=release, title="Digital album", position=1,
        pricing=Offer.Pricing.PWYW, minimum_minor=0, suggested_minor=700,
    )  # fmt: skip
    OfferFactory(
        artist=release.artist, release=release, title="Signed CD", position=2,
        kind=Offer.Kind.PHYSICAL, price_minor=1500, stock=250, numbered=True,
    )  # fmt: skip

    html = client.get(release.get_absolute_url()).content.decode()

    assert html.index("Digital album") < html.index("Signed CD")
    assert "250 left" in html and "Numbered edition of 250" in html
    assert "csrfmiddlewaretoken" not in html
    assert 'id="buy-title"' in html


def test_buying_from_the_cached_page_adds_to_the_cart(client: Client) -> None:
    release = ReleaseFactory()
    offer = OfferFactory(artist=release.artist, release=release, price_minor=900)
    csrf_client = Client(enforce_csrf_checks=True)

    response = csrf_client.post("/cart/add/", {"offer": offer.pk}, HTTP_ORIGIN="http://testserver")

    assert response.status_code == 302
    assert str(offer.title) in csrf_client.get("/cart/").content.decode()


def test_adding_to_the_cart_from_another_site_is_refused(client: Client) -> None:
    release = ReleaseFactory()
    offer = OfferFactory(artist=release.artist, release=release, price_minor=900)
    csrf_client = Client(enforce_csrf_checks=True)

    response = csrf_client.post(
        "/cart/add/", {"offer": offer.pk}, HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    response = csrf_client.post("/cart/add/", {"offer": offer.pk}, HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403


def test_a_sale_refreshes_the_cached_buy_box(client: Client) -> None:
    release = ReleaseFactory()
    offer = OfferFactory(artist=release.artist, release=release, price_minor=900, stock=3)
    assert "3 left" in client.get(release.get_absolute_url()).content.decode()

    Offer.objects.filter(pk=offer.pk).update(stock=1)
    offer.refresh_from_db()
    offer.save()  # what an edit or a sale does: a saved row

    assert "1 left" in client.get(release.get_absolute_url()).content.decode()


def _cd_page(client: Client, **zones: tuple[list[str], int, int]) -> str:
    release = ReleaseFactory()
    OfferFactory(artist=release.artist, release=release, title="CD", kind=Offer.Kind.BUNDLE)
    for name, (countries, first, more) in zones.items():
        ShippingZoneFactory(
            artist=release.artist, name=name, countries=countries, first_item_minor=first,
            additional_item_minor=more,
        )  # fmt: skip
    return client.get(release.get_absolute_url()).content.decode()


def test_the_buy_box_says_where_a_cd_ships_and_for_how_much(client: Client) -> None:
    html = _cd_page(client, World=(["US", "JP"], 1200, 300), France=(["FR"], 350, 0))
    box = html[html.index('id="buy-title"') :]
    # Cheapest first, with the first item's postage.
    assert box.index("France €3.50") < box.index("World €12.00")
    assert "Postage:" in box
    # The countries of each zone, by name, and what each additional item adds.
    assert "<dd>Japan, United States</dd>" in box
    assert "(+€3.00 each additional item)" in box
    assert "Ships to you" not in box


def test_the_buy_box_says_a_cd_cannot_ship_while_there_is_no_zone(client: Client) -> None:
    html = _cd_page(client)
    box = html[html.index('id="buy-title"') :]
    assert "Not shipping yet: this item cannot be ordered for now." in box
    assert '<button type="submit" class="btn-primary" disabled>' in box


def test_a_digital_only_buy_box_says_nothing_of_shipping(client: Client) -> None:
    release = ReleaseFactory()
    OfferFactory(artist=release.artist, release=release, title="Album")
    ShippingZoneFactory(artist=release.artist)
    html = client.get(release.get_absolute_url()).content.decode()
    assert "Postage" not in html and "Not shipping yet" not in html
