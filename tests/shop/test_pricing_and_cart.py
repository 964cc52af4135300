from __future__ import annotations

import datetime as dt

import pytest

from disquaire.catalog.models import Release
from disquaire.core.money import Money
from disquaire.selling.models import Offer
from disquaire.selling.pricing import PriceError, offer_price
from disquaire.shop.services import (
    CartError,
    ShippingError,
    cart_add,
    cart_groups,
    cart_remove,
    shipping_quote,
)
from tests.factories import ArtistFactory, ReleaseFactory, TrackFactory
from tests.shop.factories import OfferFactory, OfferOptionFactory, ShippingZoneFactory

pytestmark = pytest.mark.django_db


def pwyw(**kw: object) -> Offer:
    return OfferFactory(pricing=Offer.Pricing.PWYW, minimum_minor=500, suggested_minor=800, **kw)


def test_fixed_price_ignores_whatever_amount_the_client_sends() -> None:
    offer = OfferFactory(price_minor=1200)
    assert offer_price(offer=offer, amount_text="0.01") == 1200


def test_pay_what_you_want_takes_the_typed_amount_in_minor_units() -> None:
    assert offer_price(offer=pwyw(), amount_text="12,50") == 1250


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5", "negative"),
        ("4.99", "minimum"),
        ("10000.01", "most"),
        ("99999999999", "most"),
        ("abc", "not an amount"),
        ("NaN", "not an amount"),
        ("1e400", "not an amount"),
        ("5.001", "not an amount"),
        ("", "enter an amount"),
    ],
)
def test_bad_pay_what_you_want_amounts_are_refused_with_a_clear_message(
    text: str, message: str
) -> None:
    with pytest.raises(PriceError, match=message):
        offer_price(offer=pwyw(), amount_text=text)


def test_free_offer_costs_nothing_even_if_the_client_says_otherwise() -> None:
    offer = OfferFactory(pricing=Offer.Pricing.FREE, price_minor=999)
    assert offer_price(offer=offer, amount_text="25") == 0


def test_zero_decimal_currency_amounts_are_whole_units() -> None:
    artist = ArtistFactory(currency="JPY")
    offer = OfferFactory(
        release=ReleaseFactory(artist=artist), pricing=Offer.Pricing.PWYW, minimum_minor=500
    )
    assert offer_price(offer=offer, amount_text="1000") == 1000
    with pytest.raises(PriceError):
        offer_price(offer=offer, amount_text="1000.5")


def test_unknown_currency_is_refused() -> None:
    artist = ArtistFactory(currency="XXX")
    offer = OfferFactory(release=ReleaseFactory(artist=artist))
    with pytest.raises(PriceError, match="currency"):
        offer_price(offer=offer)


def test_cart_stores_ids_and_amount_and_merges_the_same_offer() -> None:
    offer = OfferFactory()
    cart = cart_add(cart=[], offer_id=str(offer.pk), quantity="2")
    cart = cart_add(cart=cart, offer_id=offer.pk, quantity=1)
    assert cart == [{"o": offer.pk, "p": None, "q": 3, "a": 1000}]
    assert cart_remove(cart=cart, index="0") == []


@pytest.mark.parametrize("quantity", ["0", "-1", "11", "x", None])
def test_cart_refuses_absurd_quantities(quantity: object) -> None:
    with pytest.raises(CartError):
        cart_add(cart=[], offer_id=OfferFactory().pk, quantity=quantity)


def test_cart_refuses_an_unpublished_release_offer() -> None:
    offer = OfferFactory(release=ReleaseFactory(visibility=Release.Visibility.DRAFT))
    with pytest.raises(CartError, match="not for sale"):
        cart_add(cart=[], offer_id=offer.pk)


def test_cart_refuses_unknown_or_inactive_offers() -> None:
    with pytest.raises(CartError):
        cart_add(cart=[], offer_id="999999")
    with pytest.raises(CartError):
        cart_add(cart=[], offer_id="not-an-id")
    with pytest.raises(CartError):
        cart_add(cart=[], offer_id=OfferFactory(active=False).pk)


def test_offer_with_options_needs_one_of_its_own_options() -> None:
    option = OfferOptionFactory()
    other = OfferOptionFactory()
    with pytest.raises(CartError, match="option"):
        cart_add(cart=[], offer_id=option.offer.pk)
    with pytest.raises(CartError, match="option"):
        cart_add(cart=[], offer_id=option.offer.pk, option_id=other.pk)
    cart = cart_add(cart=[], offer_id=option.offer.pk, option_id=option.pk)
    assert cart[0]["p"] == option.pk


def test_cart_groups_split_by_artist_and_recompute_prices_from_offers() -> None:
    a = OfferFactory(price_minor=1000)
    b = OfferFactory(price_minor=700)
    # A tampered cart line: the stored amount of a fixed-price offer is ignored.
    cart = [{"o": a.pk, "p": None, "q": 1, "a": 1}, {"o": b.pk, "p": None, "q": 2, "a": 700}]
    groups, problems = cart_groups(cart)
    assert problems == []
    assert {g.artist.pk: g.items_minor for g in groups} == {a.artist_id: 1000, b.artist_id: 1400}


def test_cart_drops_a_line_whose_release_was_unpublished_meanwhile() -> None:
    offer = OfferFactory()
    cart = cart_add(cart=[], offer_id=offer.pk)
    Release.objects.filter(pk=offer.release_id).update(visibility=Release.Visibility.DRAFT)
    groups, problems = cart_groups(cart)
    assert groups == []
    assert problems


def test_cart_pwyw_amount_below_a_raised_minimum_is_dropped_at_checkout() -> None:
    offer = pwyw()
    cart = cart_add(cart=[], offer_id=offer.pk, amount_text="5")
    Offer.objects.filter(pk=offer.pk).update(minimum_minor=900)
    groups, problems = cart_groups(cart)
    assert groups == [] and "minimum" in problems[0]


def test_shipping_is_first_item_plus_each_additional() -> None:
    offer = OfferFactory(kind=Offer.Kind.PHYSICAL, price_minor=2000)
    ShippingZoneFactory(artist=offer.artist, countries=["FR"], first_item_minor=500)
    cart = cart_add(cart=[], offer_id=offer.pk, quantity=3)
    groups, _ = cart_groups(cart)
    assert shipping_quote(group=groups[0], country="fr") == 500 + 2 * 200
    with pytest.raises(ShippingError, match="United States"):
        shipping_quote(group=groups[0], country="US")


def test_digital_only_cart_has_no_shipping() -> None:
    offer = OfferFactory()
    groups, _ = cart_groups(cart_add(cart=[], offer_id=offer.pk))
    assert not groups[0].ships
    assert shipping_quote(group=groups[0], country="") == 0


def test_track_offer_is_for_sale_when_its_release_is_public() -> None:
    track = TrackFactory()
    offer = OfferFactory(release=None, artist=track.release.artist, kind="track", track=track)
    assert cart_add(cart=[], offer_id=offer.pk)[0]["o"] == offer.pk


def test_money_of_a_cart_is_never_a_float() -> None:
    offer = pwyw()
    cart = cart_add(cart=[], offer_id=offer.pk, amount_text="8.5")
    assert cart[0]["a"] == 850 and isinstance(cart[0]["a"], int)


def test_preorder_release_date_is_in_the_future() -> None:
    release = ReleaseFactory(release_date=dt.date.today() + dt.timedelta(days=30))
    offer = OfferFactory(release=release)
    assert cart_add(cart=[], offer_id=offer.pk)
    assert str(Money(offer.price_minor, "EUR")) == "10.00 EUR"


def test_cart_refuses_a_sold_out_offer_or_option() -> None:
    from tests.shop.helpers import order_for

    offer = OfferFactory(stock=1)
    order_for(offer)
    with pytest.raises(CartError, match="sold out"):
        cart_add(cart=[], offer_id=offer.pk)
    option = OfferOptionFactory(stock=0)
    with pytest.raises(CartError, match="sold out"):
        cart_add(cart=[], offer_id=option.offer.pk, option_id=option.pk)
