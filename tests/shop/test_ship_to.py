"""The checkout's country list: the countries the artist's zones ship to, named in the
visitor's language and sorted as a reader expects."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from disquaire.selling.models import Offer
from disquaire.shop.selectors import CartGroup
from disquaire.shop.services import ship_to_countries
from tests.factories import ArtistFactory
from tests.shop.factories import OfferFactory, ShippingZoneFactory

pytestmark = pytest.mark.django_db


def test_countries_of_every_zone_named_and_sorted_in_french_accents_ignored() -> None:
    artist = ArtistFactory()
    ShippingZoneFactory(artist=artist, countries=["fr", "ES"])
    ShippingZoneFactory(artist=artist, countries=["AE", "EG", "FR"])
    group = CartGroup(artist=artist)
    with translation.override("fr"):
        names = [name for _code, name in ship_to_countries(group)]
    assert names == ["Égypte", "Émirats arabes unis", "Espagne", "France"]
    with translation.override("en"):
        codes = [code for code, _name in ship_to_countries(group)]
    assert codes == ["EG", "FR", "ES", "AE"]  # Egypt, France, Spain, United Arab Emirates


def test_the_checkout_form_offers_only_those_countries(client: Client) -> None:
    offer = OfferFactory(kind=Offer.Kind.PHYSICAL)
    ShippingZoneFactory(artist=offer.artist, countries=["BE", "FR"])
    client.post(
        "/cart/add/",
        {"offer": offer.pk},
        HTTP_ORIGIN="http://testserver",
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    page = client.get(f"/checkout/{offer.artist.slug}/").content.decode()
    assert '<option value="BE">Belgium</option>' in page
    assert '<option value="FR">France</option>' in page
    assert page.count("<option") == 3  # and "Choose…"
