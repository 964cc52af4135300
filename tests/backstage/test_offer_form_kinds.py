"""The offer form shows the fields of the chosen kind only (progressive enhancement), a
physical offer without a shipping zone warns, and zones list countries by name."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from disquaire.selling.models import Offer, ShippingZone
from tests.backstage.conftest import Band
from tests.backstage.helpers import offer_form_data
from tests.backstage.test_selling import _url
from tests.shop.factories import OfferFactory

pytestmark = pytest.mark.django_db

NO_ZONE = "No fan can order"


def _wrapper(html: str, field_id: str) -> str:
    """The opening tag of the element wrapping the control ``field_id``."""
    before = html[: html.index(f'id="{field_id}"')]
    return re.findall(r"<(?:div|fieldset) class=\"bs-field[^>]*>", before)[-1]


def test_each_field_says_which_choice_it_belongs_to(band: Band) -> None:
    html = band.client.get(_url("offer_create", band) + f"?release={band.release.pk}").content
    page = html.decode()
    assert 'data-show-when="kind=track"' in _wrapper(page, "id_track")
    assert 'data-show-when="pricing=fixed"' in _wrapper(page, "id_price")
    assert 'data-show-when="pricing=pwyw"' in _wrapper(page, "id_minimum")
    assert 'data-show-when="pricing=pwyw"' in _wrapper(page, "id_suggested")
    assert "data-show-when" not in _wrapper(page, "id_title")
    assert '<fieldset class="bs-field" data-show-when="kind=physical,bundle">' in page
    # Without JavaScript every field stays in the page (no `hidden` from the server).
    assert " hidden" not in page.split("<form", 1)[1].split("</form>", 1)[0]
    assert re.search(r'<script type="module" src="/static/backstage/js/show-when[^"]*\.js">', page)


def test_values_typed_for_another_kind_are_ignored(band: Band) -> None:
    """Without JavaScript a band may fill a field of another kind: it does not stick."""
    track = band.release.tracks.create(position=1, title="One", slug="one", duration_ms=1000)
    response = band.client.post(
        _url("offer_create", band) + f"?release={band.release.pk}",
        offer_form_data(kind="digital", track=str(track.pk), pricing="free", price="9"),
    )
    assert response.status_code == 302
    offer = Offer.objects.get()
    assert (offer.track_id, offer.price_minor) == (None, 0)


def test_a_physical_offer_without_shipping_zone_warns(band: Band) -> None:
    form = band.client.get(_url("offer_create", band) + f"?release={band.release.pk}")
    assert NO_ZONE in form.content.decode()
    assert 'class="bs-warning" role="note" data-show-when="kind=physical,bundle"' in (
        form.content.decode()
    )

    response = band.client.post(
        _url("offer_create", band) + f"?release={band.release.pk}",
        offer_form_data(kind="bundle", title="CD"),
        follow=True,
    )
    page = response.content.decode()
    assert "The offer is saved." in page
    assert "No fan can order it yet" in page
    # The offers page keeps saying so until a zone exists.
    assert "no fan can order them" in band.client.get(_url("offers", band)).content.decode()


def test_no_warning_once_a_zone_exists_or_for_digital_offers(band: Band) -> None:
    OfferFactory(artist=band.artist, release=band.release, kind=Offer.Kind.DIGITAL)
    assert "no fan can order them" not in band.client.get(_url("offers", band)).content.decode()
    ShippingZone.objects.create(artist=band.artist, name="France", countries=["FR"])
    OfferFactory(artist=band.artist, release=band.release, kind=Offer.Kind.BUNDLE)
    assert "no fan can order them" not in band.client.get(_url("offers", band)).content.decode()
    form = band.client.get(_url("offer_create", band) + f"?release={band.release.pk}")
    assert NO_ZONE not in form.content.decode()
    response = band.client.post(
        _url("offer_create", band) + f"?release={band.release.pk}",
        offer_form_data(kind="bundle", title="CD"),
        follow=True,
    )
    assert "No fan can order it yet" not in response.content.decode()


def test_zone_countries_are_chosen_by_name_in_the_bands_language(band: Band) -> None:
    page = band.client.get(_url("shipping_zone_create", band)).content.decode()
    assert re.search(r'<input type="checkbox" name="countries" value="FR"[^>]*>\s*France', page)
    assert "ISO codes" not in page
    names = re.findall(r'name="countries" value="[A-Z]{2}"[^>]*>\s*([^<]+?)\s*</label>', page)
    assert len(names) == 249
    assert names.index("Åland Islands") < names.index("Albania") < names.index("Zimbabwe")

    french = band.client.get(
        _url("shipping_zone_create", band), headers={"accept-language": "fr"}
    ).content.decode()
    assert re.search(r'value="DE"[^>]*>\s*Allemagne', french)


def test_a_zone_being_edited_has_its_countries_ticked(band: Band, settings: Any) -> None:
    zone = ShippingZone.objects.create(artist=band.artist, name="Z", countries=["BE", "FR"])
    page = band.client.get(_url("shipping_zone_edit", band, zone_id=zone.pk)).content.decode()
    ticked = re.findall(
        r'<input type="checkbox" name="countries" value="([A-Z]{2})"[^>]*checked', page
    )
    assert ticked == ["BE", "FR"]
    assert reverse("backstage:shipping", kwargs={"artist": band.artist.slug}) in page
