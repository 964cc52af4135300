"""The three requests of an order (add to cart, check out, pay) keep their statement
counts: the checkout benchmark's path (docs/performance.md), a numbered stock item sold
through the test payment, so that a lookup added to it shows up here, not only in the
orders a second."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client

from disquaire.orders.models import Order, OrderState
from disquaire.selling.models import Offer, OfferItem
from disquaire.stock.models import Item, Reason
from disquaire.stock.services import movement_record, place_default
from tests.factories import ReleaseFactory
from tests.shop.factories import OfferFactory, PaymentSettingsFactory, ShippingZoneFactory

pytestmark = pytest.mark.django_db

FORM = {
    "email": "fan@example.org",
    "provider": "test",
    "name": "A Fan",
    "address": "1 rue de la Gare",
    "postcode": "75001",
    "city": "Paris",
    "country": "FR",
    "total_shown": "3100",  # 25.00 + 6.00 shipping to France
}

# Statements each request may send (SAVEPOINT and RELEASE count: the test's own
# transaction turns each BEGIN and COMMIT into them). Lower them when a change saves a
# statement; never raise them for a lookup that a feature switched off could skip.
# SQLite numbers a unit in three statements, PostgreSQL in one.
LIMITS = {"sqlite": (2, 16, 18), "postgresql": (2, 16, 15)}


@pytest.fixture
def edition() -> Offer:
    """The benchmark's shop: a numbered vinyl stock item sold with its download."""
    release = ReleaseFactory(artist__currency="EUR")
    artist = release.artist
    offer = OfferFactory(
        artist=artist,
        release=release,
        kind=Offer.Kind.BUNDLE,
        title="Numbered vinyl + download",
        price_minor=2500,
    )
    item = Item.objects.create(artist=artist, name="Vinyl (numbered)", numbered=True)
    movement_record(
        item=item, quantity=50, reason=Reason.RECEIVED, to_place=place_default(artist=artist)
    )
    OfferItem.objects.create(offer=offer, item=item, quantity=1)
    ShippingZoneFactory(artist=artist, name="Europe", countries=["FR", "BE"], first_item_minor=600)
    PaymentSettingsFactory(artist=artist, test_mode=True)
    return offer


def _buy(client: Client, offer: Offer, limits: Any) -> str:
    """Add, check out, pay, each under its limit (``limits(n)``: a context manager);
    the order's page."""
    max_add, max_checkout, max_pay = LIMITS[connection.vendor]
    with limits(max_add):
        added = client.post("/cart/add/", {"offer": offer.pk, "next": "/?refused"})
    assert added.status_code == 302 and "refused" not in added["Location"]
    with limits(max_checkout):
        started = client.post(f"/checkout/{offer.artist.slug}/", FORM)
    assert started.status_code == 302 and "/payments/test/" in started["Location"]
    with limits(max_pay):
        paid = client.post(urlsplit(started["Location"]).path, {"outcome": "success"})
    assert paid.status_code == 302 and "/orders/" in paid["Location"]
    return str(paid["Location"])


def test_an_order_of_a_numbered_stock_item_stays_within_its_statements(
    edition: Offer, django_assert_max_num_queries: Any
) -> None:
    _buy(Client(), edition, django_assert_max_num_queries)
    order = Order.objects.get()
    assert order.state == OrderState.PAID
    assert order.lines.get().edition_numbers == [1]


def test_the_next_buyer_costs_no_more_than_the_first(
    edition: Offer, django_assert_max_num_queries: Any
) -> None:
    """Nothing is cached across buyers that the first one paid for alone."""
    _buy(Client(), edition, django_assert_max_num_queries)
    _buy(Client(), edition, django_assert_max_num_queries)
    numbers = sorted(n for o in Order.objects.all() for n in o.lines.get().edition_numbers)
    assert numbers == [1, 2]


def test_a_returning_device_is_remembered_once(
    edition: Offer, django_assert_max_num_queries: Any
) -> None:
    """The device cookie is written in one statement, a second time changes nothing."""
    from disquaire.fans.referrals.models import DeviceSeen

    client = Client()
    _buy(client, edition, django_assert_max_num_queries)
    first = DeviceSeen.objects.get()
    _buy(client, edition, django_assert_max_num_queries)
    again = DeviceSeen.objects.get()
    assert (again.pk, again.seen_at) == (first.pk, first.seen_at)
    assert again.email == "fan@example.org"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_an_order_stays_within_its_statements(
    edition: Offer, django_assert_max_num_queries: Any
) -> None:
    """As the benchmark runs it: each commit a real BEGIN and COMMIT."""
    _buy(Client(), edition, django_assert_max_num_queries)
    assert Order.objects.get().lines.get().edition_numbers == [1]
