"""The band's stock pages: the items × places table, the ledger, the forms, the CSV."""

from __future__ import annotations

import pytest
from django.urls import reverse

from disquaire.stock import selectors, services
from disquaire.stock.models import Item, Movement, Place, Reason
from tests.backstage.conftest import Band
from tests.backstage.helpers import items_form_data, offer_form_data

pytestmark = pytest.mark.django_db


def _url(band: Band, name: str, **kwargs: int) -> str:
    return reverse(f"backstage:{name}", kwargs={"artist": band.artist.slug, **kwargs})


def _cd_at_home(band: Band, units: int = 300) -> tuple[Item, Place]:
    cd = services.item_create(artist=band.artist, name="CD Marée Haute", low_stock_at=20)
    home = services.place_default(artist=band.artist)
    services.movement_record(item=cd, quantity=units, reason=Reason.RECEIVED, to_place=home)
    return cd, home


def test_the_table_answers_how_many_and_where(band: Band) -> None:
    cd, home = _cd_at_home(band)
    bag = services.place_save(artist=band.artist, name="Le van", kind=Place.Kind.BAG)
    services.movement_record(
        item=cd, quantity=290, reason=Reason.MOVED, from_place=home, to_place=bag
    )
    page = band.client.get(_url(band, "stock")).content.decode()
    assert "CD Marée Haute" in page and "Le van" in page
    assert ">290<" in page and "low stock" in page  # 10 left at home, under 20


def test_receive_move_count_and_damaged_forms_write_the_ledger(band: Band) -> None:
    cd = services.item_create(artist=band.artist, name="CD")
    home = services.place_default(artist=band.artist)
    bag = services.place_save(artist=band.artist, name="Bag", kind=Place.Kind.BAG)
    c = band.client
    r = c.post(_url(band, "stock_receive"), {"item": cd.pk, "quantity": 300, "to_place": home.pk})
    assert r.status_code == 302
    c.post(
        _url(band, "stock_move"),
        {"item": cd.pk, "quantity": 50, "from_place": home.pk, "to_place": bag.pk},
    )
    c.post(_url(band, "stock_count"), {"item": cd.pk, "place": bag.pk, "counted": 48})
    c.post(
        _url(band, "stock_damaged"),
        {"item": cd.pk, "quantity": 2, "from_place": home.pk, "reason": "damaged", "note": "wet"},
    )
    assert selectors.balance(item=cd, place=home) == 248
    assert selectors.balance(item=cd, place=bag) == 48
    assert list(Movement.objects.order_by("pk").values_list("reason", "actor")) == [
        (r, band.user.pk) for r in (Reason.RECEIVED, Reason.MOVED, Reason.COUNTED, Reason.DAMAGED)
    ]


@pytest.mark.parametrize("quantity", ["0", "-3", "abc"])
def test_bad_quantities_are_refused_with_a_message(band: Band, quantity: str) -> None:
    cd, home = _cd_at_home(band, 5)
    r = band.client.post(
        _url(band, "stock_damaged"),
        {"item": cd.pk, "quantity": quantity, "from_place": home.pk, "reason": "lost"},
    )
    assert r.status_code == 200 and "bs-error" in r.content.decode()
    assert Movement.objects.count() == 1


def test_moving_more_than_there_is_says_how_many_there_are(band: Band) -> None:
    cd, home = _cd_at_home(band, 5)
    bag = services.place_save(artist=band.artist, name="Bag", kind=Place.Kind.BAG)
    r = band.client.post(
        _url(band, "stock_move"),
        {"item": cd.pk, "quantity": 6, "from_place": home.pk, "to_place": bag.pk},
    )
    assert "has only 5" in r.content.decode()
    assert Movement.objects.count() == 1


def test_another_bands_items_cannot_be_chosen(band: Band, stranger: Band) -> None:
    theirs = services.item_create(artist=stranger.artist, name="Their CD")
    home = services.place_default(artist=band.artist)
    r = band.client.post(
        _url(band, "stock_receive"), {"item": theirs.pk, "quantity": 1, "to_place": home.pk}
    )
    assert r.status_code == 200
    assert not Movement.objects.exists()


def test_ledger_filters_and_csv(band: Band) -> None:
    cd, home = _cd_at_home(band)
    shirt = services.item_create(artist=band.artist, name="=T-shirt / M")
    services.movement_record(item=shirt, quantity=10, reason=Reason.RECEIVED, to_place=home)
    page = band.client.get(_url(band, "stock_ledger") + f"?item={cd.pk}").content.decode()
    assert "<td>CD Marée Haute</td>" in page and "<td>=T-shirt / M</td>" not in page
    csv = band.client.get(_url(band, "stock_ledger_csv")).content.decode()
    assert csv.splitlines()[0].startswith("time,item,quantity")
    assert "'=T-shirt / M" in csv  # no formula for the spreadsheet
    only_received = band.client.get(_url(band, "stock_ledger_csv") + "?reason=received")
    assert len(only_received.content.decode().splitlines()) == 3


def test_items_create_edit_and_delete_only_when_unused(band: Band) -> None:
    c = band.client
    c.post(_url(band, "stock_item_create"), {"name": "Vinyl", "numbered": "on", "low_stock_at": 5})
    vinyl = Item.objects.get(artist=band.artist)
    assert vinyl.numbered
    c.post(_url(band, "stock_item_edit", item_id=vinyl.pk), {"name": "Vinyl LP", "low_stock_at": 3})
    vinyl.refresh_from_db()
    assert (vinyl.name, vinyl.numbered, vinyl.low_stock_at) == ("Vinyl LP", False, 3)
    home = services.place_default(artist=band.artist)
    services.movement_record(item=vinyl, quantity=1, reason=Reason.RECEIVED, to_place=home)
    r = c.post(_url(band, "stock_item_delete", item_id=vinyl.pk), follow=True)
    assert "never rewritten" in r.content.decode()
    assert Item.objects.filter(pk=vinyl.pk).exists()
    spare = services.item_create(artist=band.artist, name="Spare")
    c.post(_url(band, "stock_item_delete", item_id=spare.pk))
    assert not Item.objects.filter(pk=spare.pk).exists()


def test_places_create_edit_and_one_default_per_kind(band: Band) -> None:
    c = band.client
    home = services.place_default(artist=band.artist)
    c.post(_url(band, "stock_place_create"), {"name": "Garage", "kind": "home", "is_default": "on"})
    garage = Place.objects.get(name="Garage")
    home.refresh_from_db()
    assert garage.is_default and not home.is_default
    c.post(_url(band, "stock_place_edit", place_id=garage.pk), {"name": "Garage 2", "kind": "home"})
    garage.refresh_from_db()
    assert garage.name == "Garage 2"


def test_the_offer_form_says_which_items_an_offer_uses(band: Band) -> None:
    from disquaire.selling.models import Offer, OfferItem

    cd = services.item_create(artist=band.artist, name="CD")
    data = offer_form_data(
        kind="physical", title="2 CDs", includes="", price="25", **items_form_data((cd.pk, "2"))
    )
    r = band.client.post(_url(band, "offer_create"), data)
    assert r.status_code == 302, r.content.decode()[:3000]
    offer = Offer.objects.get(title="2 CDs")
    assert [(u.item, u.quantity, u.option) for u in OfferItem.objects.filter(offer=offer)] == [
        (cd, 2, None)
    ]
    page = band.client.get(_url(band, "offer_edit", offer_id=offer.pk)).content.decode()
    assert "Stock items each unit sold takes" in page
    r = band.client.post(_url(band, "stock_item_delete", item_id=cd.pk), follow=True)
    assert "still used by an offer" in r.content.decode()


def test_an_item_of_another_band_cannot_be_used(band: Band, stranger: Band) -> None:
    theirs = services.item_create(artist=stranger.artist, name="Their CD")
    data = offer_form_data(
        kind="physical", title="CD", includes="", price="12", **items_form_data((theirs.pk, "1"))
    )
    r = band.client.post(_url(band, "offer_create"), data)
    assert r.status_code == 200
    from disquaire.selling.models import OfferItem

    assert not OfferItem.objects.exists()
