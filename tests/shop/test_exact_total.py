"""The checkout shows the exact total before paying, and charges nothing else."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from disquaire.orders.models import Order, Payment
from disquaire.selling.models import Offer, ShippingZone
from tests.payments.fake_stripe import FakeStripe, fake_stripe
from tests.shop.factories import OfferFactory, PaymentSettingsFactory, ShippingZoneFactory
from tests.shop.helpers import checkout_post

pytestmark = pytest.mark.django_db
__all__ = ["fake_stripe"]

ADDRESS = {"name": "A Fan", "address": "1 rue du Port", "postcode": "44000", "city": "Nantes"}


def _cd_in_cart(client: Client, *, countries: list[str]) -> Offer:
    """The issue's case: a €12.00 CD, shipping €3.50 in France."""
    offer = OfferFactory(kind=Offer.Kind.BUNDLE, price_minor=1200)
    PaymentSettingsFactory(artist=offer.artist)
    ShippingZoneFactory(
        artist=offer.artist, name="France", countries=countries[:1], first_item_minor=350
    )
    if len(countries) > 1:
        ShippingZoneFactory(
            artist=offer.artist, name="Europe", countries=countries[1:], first_item_minor=700
        )
    client.post("/cart/add/", {"offer": offer.pk})
    return offer


def test_with_one_country_the_page_shows_its_shipping_and_the_pay_button_the_total(
    client: Client,
) -> None:
    offer = _cd_in_cart(client, countries=["FR"])
    page = client.get(f"/checkout/{offer.artist.slug}/").content.decode()
    assert "depends on the country" not in page and "+ shipping" not in page
    assert "€3.50" in page and "€15.50" in page
    assert ">Pay €15.50</button>" in page
    assert 'name="total_shown" value="1550"' in page


def test_with_several_countries_the_total_follows_the_chosen_one(client: Client) -> None:
    offer = _cd_in_cart(client, countries=["FR", "BE", "DE"])
    url = f"/checkout/{offer.artist.slug}/"
    page = client.get(url).content.decode()
    assert "depends on the country" in page and ">Show the total</button>" in page
    assert 'name="total_shown" value=""' in page
    belgium = client.get(url + "quote.json", {"country": "BE"}).json()
    assert belgium["total_minor"] == 1900 and belgium["shipping"] == "€7.00"
    assert belgium["pay"] == "Pay €19.00" and belgium["error"] == ""
    nowhere = client.get(url + "quote.json", {"country": "JP"}).json()
    assert nowhere["total_minor"] is None
    assert nowhere["error"] == "Sorry, this shop does not ship to Japan."


def test_a_fan_pays_by_card_exactly_the_total_the_button_showed(
    fake_stripe: FakeStripe, client: Client
) -> None:
    offer = _cd_in_cart(client, countries=["FR"])
    response = checkout_post(
        client, offer.artist, {"email": "f@example.org", "provider": "stripe", **ADDRESS,
                               "country": "FR"}, shown=1550
    )  # fmt: skip
    assert response.status_code == 302
    session = fake_stripe.sessions[Payment.objects.get().provider_ref]
    assert session["amount_total"] == 1550 == Order.objects.get().total_minor


def test_a_total_that_changed_since_the_page_is_shown_and_confirmed_again(
    client: Client,
) -> None:
    offer = _cd_in_cart(client, countries=["FR"])
    ShippingZone.objects.filter(artist=offer.artist).update(first_item_minor=500)  # meanwhile
    data = {"email": "f@example.org", "provider": "test", **ADDRESS, "country": "FR"}
    stale = checkout_post(client, offer.artist, data, shown=1550)
    assert stale.status_code == 409
    assert Order.objects.count() == 0  # nothing held, nothing to pay
    page = stale.content.decode()
    assert "The total is €17.00: please check it and confirm again." in page
    assert ">Pay €17.00</button>" in page and 'name="total_shown" value="1700"' in page
    assert 'value="A Fan"' in page  # what the fan typed is kept
    again = checkout_post(client, offer.artist, data, shown=1700)
    assert again.status_code == 302 and Order.objects.get().total_minor == 1700


def test_a_payment_without_a_total_shown_is_not_started(client: Client) -> None:
    """Without the page's script a fan who picked a country has not seen the total yet:
    the first press shows it."""
    offer = _cd_in_cart(client, countries=["FR", "BE"])
    data = {"email": "f@example.org", "provider": "test", **ADDRESS, "country": "BE"}
    first = client.post(f"/checkout/{offer.artist.slug}/", data)
    assert first.status_code == 409 and Order.objects.count() == 0
    assert ">Pay €19.00</button>" in first.content.decode()


def test_a_country_with_no_zone_is_named_in_plain_words(client: Client) -> None:
    offer = _cd_in_cart(client, countries=["FR"])
    data = {"email": "f@example.org", "provider": "test", **ADDRESS, "country": "JP"}
    response = checkout_post(client, offer.artist, data, shown=1550)
    assert response.status_code == 400 and Order.objects.count() == 0
    assert "Sorry, this shop does not ship to Japan." in response.content.decode()


def test_the_checkout_script_is_a_module_file_not_inline(client: Client) -> None:
    offer = _cd_in_cart(client, countries=["FR", "BE"])
    page = client.get(f"/checkout/{offer.artist.slug}/").content.decode()
    assert '<script type="module" src="/static/disquaire/js/checkout.js"' in page
    assert "<script>" not in page
    assert f'data-quote-url="/checkout/{offer.artist.slug}/quote.json"' in page


def test_the_quote_speaks_the_fans_language(client: Client) -> None:
    offer = _cd_in_cart(client, countries=["FR", "BE"])
    # override() puts the language back afterwards (the middleware would leave French on).
    with translation.override("fr"):
        quote = client.get(
            f"/checkout/{offer.artist.slug}/quote.json",
            {"country": "JP"},
            HTTP_ACCEPT_LANGUAGE="fr",
        ).json()
    assert quote["error"] == "Désolé, cette boutique ne livre pas ce pays : Japon."
    assert quote["shipping"] == "selon le pays"
