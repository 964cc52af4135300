"""The buy box on the cached public release page, and adding to the cart from it."""

from __future__ import annotations

import pytest
from django.test import Client

from disquaire.shop.models import Offer
from tests.factories import ReleaseFactory
from tests.shop.factories import OfferFactory

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
