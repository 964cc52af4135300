"""The web shop sells from the stock ledger: offers share the items they use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from disquaire.orders import services
from disquaire.orders.errors import SoldOut
from disquaire.orders.models import EditionUnit, OrderState
from disquaire.orders.refunds import payment_refund
from disquaire.orders.selectors import units_left
from disquaire.selling.models import Offer, OfferItem
from disquaire.stock import selectors as stock_selectors
from disquaire.stock import services as stock_services
from disquaire.stock.errors import StockError
from disquaire.stock.models import Movement, Place, Reason
from tests.factories import ArtistFactory
from tests.shop.factories import OfferFactory, OfferOptionFactory
from tests.shop.helpers import order_for
from tests.stock.factories import ItemFactory

pytestmark = pytest.mark.django_db


def _box(units: int, *, numbered: bool = False):  # type: ignore[no-untyped-def]
    """One box of CDs at home, used by the CD offer, the bundle and the “2 CDs” deal."""
    artist = ArtistFactory()
    cd = ItemFactory(artist=artist, name="CD", numbered=numbered)
    home = stock_services.place_default(artist=artist)
    stock_services.movement_record(item=cd, quantity=units, reason=Reason.RECEIVED, to_place=home)
    offers = {}
    for key, kind, per in (
        ("cd", Offer.Kind.PHYSICAL, 1),
        ("bundle", Offer.Kind.BUNDLE, 1),
        ("two", Offer.Kind.PHYSICAL, 2),
    ):
        offer = OfferFactory(artist=artist, release=None, kind=kind, title=key)
        OfferItem.objects.create(offer=offer, item=cd, quantity=per)
        offers[key] = offer
    return cd, home, offers


def _pay(order):  # type: ignore[no-untyped-def]
    return services.payment_confirm(payment=services.payment_create(order=order, provider="test"))


def test_offers_using_one_item_share_its_units() -> None:
    cd, home, offers = _box(10)
    assert units_left(offer=offers["cd"]) == 10
    assert units_left(offer=offers["two"]) == 5
    _pay(order_for(offers["cd"], quantity=3))
    _pay(order_for(offers["bundle"], quantity=2))
    assert units_left(offer=offers["cd"]) == 5
    assert units_left(offer=offers["two"]) == 2
    assert stock_selectors.balance(item=cd, place=home) == 5
    sold = Movement.objects.filter(reason=Reason.SOLD_ONLINE).order_by("pk")
    assert [(m.quantity, m.from_place, m.reference_type) for m in sold] == [
        (3, home, "order"),
        (2, home, "order"),
    ]
    with pytest.raises(SoldOut, match="Only 2 of two left"):
        order_for(offers["two"], quantity=3)


def test_pending_checkouts_hold_units_until_they_expire() -> None:
    cd, home, offers = _box(3)
    order_for(offers["cd"], quantity=2)
    assert units_left(offer=offers["bundle"]) == 1
    with pytest.raises(SoldOut):
        order_for(offers["bundle"], quantity=2)
    assert stock_selectors.balance(item=cd, place=home) == 3  # held, not sold
    services.reservations_expire(now=timezone.now() + dt.timedelta(hours=2))
    assert units_left(offer=offers["bundle"]) == 3


def test_held_units_can_be_neither_moved_nor_counted_away() -> None:
    cd, home, offers = _box(5)
    order_for(offers["cd"], quantity=4)
    bag = Place.objects.create(artist=cd.artist, name="Bag", kind=Place.Kind.BAG)
    with pytest.raises(StockError, match="1 can leave"):
        stock_services.movement_record(
            item=cd, quantity=2, reason=Reason.MOVED, from_place=home, to_place=bag
        )
    with pytest.raises(StockError, match="hold 4"):
        stock_services.count_record(item=cd, place=home, counted=3)
    assert stock_services.count_record(item=cd, place=home, counted=4) is not None


def test_stock_shown_is_at_the_shipping_place() -> None:
    cd, home, offers = _box(10)
    shipping = Place.objects.create(
        artist=cd.artist, name="Label warehouse", kind=Place.Kind.SHIPPING, is_default=True
    )
    assert units_left(offer=offers["cd"]) == 0
    stock_services.movement_record(
        item=cd, quantity=4, reason=Reason.MOVED, from_place=home, to_place=shipping
    )
    assert units_left(offer=offers["cd"]) == 4
    _pay(order_for(offers["cd"]))
    assert stock_selectors.balance(item=cd, place=shipping) == 3
    assert stock_selectors.balance(item=cd, place=home) == 6


def test_numbered_item_numbers_run_across_offers() -> None:
    cd, _home, offers = _box(10, numbered=True)
    first = _pay(order_for(offers["cd"], quantity=2)).order
    second = _pay(order_for(offers["bundle"])).order
    third = _pay(order_for(offers["two"])).order
    assert [line.edition_numbers for o in (first, second, third) for line in o.lines.all()] == [
        [1, 2],
        [3],
        [4, 5],
    ]
    assert sorted(EditionUnit.objects.filter(item=cd).values_list("number", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_an_option_uses_its_own_item() -> None:
    artist = ArtistFactory()
    home = stock_services.place_default(artist=artist)
    offer = OfferFactory(artist=artist, release=None, kind=Offer.Kind.PHYSICAL, title="Tee")
    small, medium = (
        OfferOptionFactory(offer=offer, label="S"),
        OfferOptionFactory(offer=offer, label="M"),
    )
    for option, units in ((small, 2), (medium, 0)):
        item = ItemFactory(artist=artist, name=f"T-shirt / {option.label}")
        OfferItem.objects.create(offer=offer, option=option, item=item)
        if units:
            stock_services.movement_record(
                item=item, quantity=units, reason=Reason.RECEIVED, to_place=home
            )
    assert units_left(offer=offer, option=small) == 2
    assert units_left(offer=offer, option=medium) == 0
    with pytest.raises(SoldOut):
        order_for(offer, option=medium)
    order_for(offer, option=small, quantity=2)


def test_a_refund_before_shipping_puts_the_units_back_and_after_does_not() -> None:
    cd, home, offers = _box(10)
    payment = _pay(order_for(offers["two"]))
    payment_refund(payment=payment, actor="test")
    payment.order.refresh_from_db()
    assert payment.order.state == OrderState.REFUNDED
    assert stock_selectors.balance(item=cd, place=home) == 10
    restocked = Movement.objects.get(reason=Reason.RESTOCKED)
    assert (restocked.quantity, restocked.to_place, restocked.reference_id) == (
        2,
        home,
        payment.order.code,
    )
    shipped = _pay(order_for(offers["cd"]))
    services.order_fulfil(order=shipped.order, actor="test")
    payment_refund(payment=shipped, actor="test")
    assert stock_selectors.balance(item=cd, place=home) == 9
    assert stock_selectors.balance_drift() == []


def test_an_item_an_offer_uses_cannot_be_deleted() -> None:
    artist = ArtistFactory()
    item = ItemFactory(artist=artist, name="Poster")
    offer = OfferFactory(artist=artist, release=None, kind=Offer.Kind.PHYSICAL, title="Poster")
    OfferItem.objects.create(offer=offer, item=item)
    with pytest.raises(StockError, match="still used by an offer"):
        stock_services.item_delete(item=item)


def test_the_buy_box_says_an_offer_of_a_numbered_item_is_numbered() -> None:
    from disquaire.shop.selectors import artist_offers

    cd, _home, _offers = _box(3, numbered=True)
    shown = {offer.title: offer for offer in artist_offers(cd.artist)}
    assert shown["bundle"].numbered_item and shown["bundle"].left == 3  # type: ignore[attr-defined]
