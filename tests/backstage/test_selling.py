"""Backstage selling screens: offer ladders, money typed as decimals, shipping, settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from disquaire.orders.services import payment_confirm, payment_create
from disquaire.selling.models import Offer, OfferOption, ShippingZone, ShopSettings
from tests.backstage.conftest import Band
from tests.backstage.helpers import offer_form_data
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db


def _url(name: str, band: Band, **kwargs: Any) -> str:
    return reverse(f"backstage:{name}", kwargs={"artist": band.artist.slug, **kwargs})


def test_fixed_price_typed_as_decimal_is_stored_in_minor_units(band: Band) -> None:
    response = band.client.post(
        _url("offer_create", band) + f"?release={band.release.pk}", offer_form_data()
    )
    assert response.status_code == 302
    offer = Offer.objects.get(release=band.release)
    assert (offer.price_minor, offer.pricing, offer.position) == (850, "fixed", 1)


def test_pay_what_you_want_keeps_minimum_and_suggested(band: Band) -> None:
    band.client.post(
        _url("offer_create", band) + f"?release={band.release.pk}",
        offer_form_data(pricing="pwyw", price="", minimum="0", suggested="7"),
    )
    offer = Offer.objects.get(release=band.release)
    assert (offer.minimum_minor, offer.suggested_minor, offer.price_minor) == (0, 700, 0)


def test_amount_that_is_not_money_gets_a_clear_form_error(band: Band) -> None:
    response = band.client.post(
        _url("offer_create", band) + f"?release={band.release.pk}",
        offer_form_data(price="douze"),
    )
    assert response.status_code == 200
    assert "Type an amount in EUR" in response.content.decode()
    response = band.client.post(
        _url("offer_create", band) + f"?release={band.release.pk}",
        offer_form_data(price="1.234"),
    )
    assert "Type an amount in EUR" in response.content.decode()
    assert not Offer.objects.exists()


def test_suggested_below_minimum_is_refused(band: Band) -> None:
    response = band.client.post(
        _url("offer_create", band) + f"?release={band.release.pk}",
        offer_form_data(pricing="pwyw", minimum="5", suggested="3"),
    )
    assert response.status_code == 200 and not Offer.objects.exists()


def test_merch_with_options_each_with_its_stock(band: Band) -> None:
    response = band.client.post(
        _url("offer_create", band),
        offer_form_data(
            kind="physical",
            title="T-shirt",
            price="20",
            **{
                "options-TOTAL_FORMS": "2",
                "options-0-label": "M",
                "options-0-stock": "10",
                "options-1-label": "L",
                "options-1-stock": "",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    offer = Offer.objects.get(title="T-shirt")
    assert offer.release is None and offer.kind == "physical"
    assert [(o.label, o.stock) for o in offer.options.order_by("position")] == [
        ("M", 10),
        ("L", None),
    ]


def test_another_artists_release_cannot_get_an_offer(band: Band, stranger: Band) -> None:
    response = band.client.post(
        _url("offer_create", band) + f"?release={stranger.release.pk}", offer_form_data()
    )
    assert response.status_code == 404 and not Offer.objects.exists()


def test_edit_shows_decimals_and_saves_changes(band: Band) -> None:
    offer = OfferFactory(release=band.release, price_minor=1000)
    page = band.client.get(_url("offer_edit", band, offer_id=offer.pk)).content.decode()
    assert 'value="10.00"' in page
    band.client.post(
        _url("offer_edit", band, offer_id=offer.pk), offer_form_data(title="New", price="12")
    )
    offer.refresh_from_db()
    assert (offer.title, offer.price_minor) == ("New", 1200)


def test_list_shows_sold_and_left(band: Band) -> None:
    offer = OfferFactory(release=band.release, stock=5, title="Vinyl")
    order = order_for(offer, quantity=2)
    payment_confirm(payment=payment_create(order=order, provider="test"))
    page = band.client.get(_url("offers", band)).content.decode()
    assert "Vinyl" in page
    assert '<td class="num tabular">2</td>' in page
    assert '<td class="num tabular">3</td>' in page


def test_move_reorders_the_ladder(band: Band) -> None:
    first = OfferFactory(release=band.release, position=1)
    second = OfferFactory(release=band.release, position=2)
    band.client.post(_url("offer_move", band, offer_id=second.pk), {"direction": "up"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.position, first.position) == (1, 2)


def test_offer_that_was_ordered_is_not_deleted(band: Band) -> None:
    offer = OfferFactory(release=band.release)
    order_for(offer)
    response = band.client.post(_url("offer_delete", band, offer_id=offer.pk), follow=True)
    assert Offer.objects.filter(pk=offer.pk).exists()
    assert "take it off sale" in response.content.decode()
    unsold = OfferFactory(release=band.release)
    band.client.post(_url("offer_delete", band, offer_id=unsold.pk))
    assert not Offer.objects.filter(pk=unsold.pk).exists()


def test_an_order_written_after_the_check_still_keeps_the_offer(
    band: Band, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check and the delete are two statements: an order landing between them is
    caught by its protected reference, and the band gets the same clear refusal."""
    from django.db.models.manager import BaseManager

    from disquaire.selling import services as selling_services

    offer = OfferFactory(release=band.release)
    order_for(offer)

    def as_if_not_yet(self: BaseManager[Any]) -> bool:  # the order arrives just after
        return False

    monkeypatch.setattr(
        selling_services.Offer.order_lines.related_manager_cls,  # type: ignore[attr-defined]
        "exists",
        as_if_not_yet,
    )
    with pytest.raises(selling_services.OfferInUse, match="take it off sale"):
        selling_services.offer_delete(offer=offer)
    assert Offer.objects.filter(pk=offer.pk).exists()


def test_ordered_option_is_kept(band: Band) -> None:
    offer = OfferFactory(release=None, artist=band.artist, kind="physical", price_minor=2000)
    option = OfferOption.objects.create(offer=offer, label="M", position=1)
    order_for(offer, option=option)
    response = band.client.post(
        _url("offer_edit", band, offer_id=offer.pk),
        offer_form_data(
            kind="physical",
            price="20",
            **{
                "options-TOTAL_FORMS": "1",
                "options-INITIAL_FORMS": "1",
                "options-0-id": str(option.pk),
                "options-0-label": "M",
                "options-0-DELETE": "on",
            },
        ),
    )
    assert response.status_code == 200
    assert "set its stock to 0" in response.content.decode()
    assert OfferOption.objects.filter(pk=option.pk).exists()


def test_shipping_zone_create_edit_delete(band: Band) -> None:
    response = band.client.post(
        _url("shipping_zone_create", band),
        {
            "name": "Europe",
            "countries": ["FR", "BE", "DE"],
            "first_item": "5",
            "additional_item": "1,5",
        },
    )
    assert response.status_code == 302
    zone = ShippingZone.objects.get(artist=band.artist)
    assert (zone.countries, zone.first_item_minor, zone.additional_item_minor) == (
        ["BE", "DE", "FR"],
        500,
        150,
    )
    listing = band.client.get(_url("shipping", band)).content.decode()
    assert "€1.50" in listing
    assert "Belgium, Germany, France" in listing  # names, not codes
    response = band.client.post(
        _url("shipping_zone_edit", band, zone_id=zone.pk),
        {"name": "Europe", "countries": ["FRANCE"], "first_item": "5", "additional_item": ""},
    )
    assert (
        response.status_code == 200
        and "FRANCE is not a country of the list" in response.content.decode()
    )
    zone.refresh_from_db()
    assert zone.countries == ["BE", "DE", "FR"]
    band.client.post(_url("shipping_zone_delete", band, zone_id=zone.pk))
    assert not ShippingZone.objects.exists()


def test_shop_settings_saved(band: Band) -> None:
    response = band.client.post(
        _url("shop_settings", band),
        {
            "ship_from_country": "fr",
            "vat_note": "VAT not applicable",
        },
    )
    assert response.status_code == 302
    found = ShopSettings.objects.get(artist=band.artist)
    assert (found.ship_from_country, found.vat_note) == ("FR", "VAT not applicable")


def test_edit_form_shows_only_the_amounts_of_its_pricing(band: Band) -> None:
    offer = OfferFactory(
        release=band.release, pricing="pwyw", minimum_minor=300, suggested_minor=800
    )
    page = band.client.get(_url("offer_edit", band, offer_id=offer.pk)).content.decode()
    assert 'value="3.00"' in page and 'value="8.00"' in page
    assert 'name="price" value=' not in page


def test_free_offer_keeps_no_stale_price(band: Band) -> None:
    offer = OfferFactory(release=band.release, price_minor=900)
    band.client.post(
        _url("offer_edit", band, offer_id=offer.pk), offer_form_data(pricing="free", price="9")
    )
    offer.refresh_from_db()
    assert (offer.pricing, offer.price_minor, offer.minimum_minor) == ("free", 0, 0)


def test_origin_is_not_recorded_on_backstage_pages(band: Band) -> None:
    band.client.get(_url("offers", band) + "?ref=x", HTTP_REFERER="https://elsewhere.example/")
    assert "visit_ref" not in band.client.session


@pytest.mark.django_db
def test_an_offer_with_sized_stock_shows_what_is_left_in_all_its_options(band: Band) -> None:
    from disquaire.backstage.selectors import offer_ladders

    shirt = OfferFactory(release=None, artist=band.artist, kind=Offer.Kind.PHYSICAL)
    small = OfferOption.objects.create(offer=shirt, label="S", stock=3, position=1)
    OfferOption.objects.create(offer=shirt, label="M", stock=5, position=2)
    order_for(shirt, option=small)  # one S held by a checkout
    capped = OfferFactory(release=None, artist=band.artist, kind=Offer.Kind.PHYSICAL, stock=4)
    OfferOption.objects.create(offer=capped, label="S", stock=10, position=1)
    open_ended = OfferFactory(release=None, artist=band.artist, kind=Offer.Kind.PHYSICAL)
    OfferOption.objects.create(offer=open_ended, label="S", stock=2, position=1)
    OfferOption.objects.create(offer=open_ended, label="M", stock=None, position=2)

    (merch,) = [ladder for ladder in offer_ladders(artist=band.artist) if ladder.release is None]
    left = {offer.pk: offer.left for offer in merch.offers}
    assert left == {shirt.pk: 7, capped.pk: 4, open_ended.pk: None}
