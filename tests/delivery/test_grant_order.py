"""A paid order's downloads are granted in one INSERT ... SELECT, as idempotent as one by
one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from disquaire.delivery.models import Entitlement
from disquaire.delivery.services import entitlement_revoke, entitlements_grant_order
from disquaire.orders.models import Order
from disquaire.orders.services import LineSpec, order_create
from disquaire.selling.models import Offer
from tests.factories import ReleaseFactory, TrackFactory
from tests.shop.factories import OfferFactory

pytestmark = pytest.mark.django_db


def _order_of(*offers: Offer) -> Order:
    return order_create(
        artist=offers[0].artist,
        email="Fan@Example.org",
        lines=[LineSpec(offer=o, option=None, quantity=1, unit_price_minor=500) for o in offers],
    )


def test_another_ref_is_a_new_grant_and_a_revoked_one_stays_revoked() -> None:
    order = _order_of(OfferFactory())
    entitlements_grant_order(order_id=order.pk, email=order.email, source="order", ref="o1")
    entitlement_revoke(entitlement=Entitlement.objects.get(), reason="refunded")

    entitlements_grant_order(order_id=order.pk, email=order.email, source="order", ref="o1")
    entitlements_grant_order(order_id=order.pk, email=order.email, source="order", ref="o2")

    assert Entitlement.objects.get(source_ref="o1").revoked_at is not None
    assert Entitlement.objects.get(source_ref="o2").revoked_at is None


@pytest.mark.parametrize(
    ("email", "source", "ref"),
    [("", "order", "o1"), ("fan@example.org", "gift", "o1"), ("fan@example.org", "order", "")],
)
def test_a_bad_grant_is_refused(email: str, source: str, ref: str) -> None:
    order = _order_of(OfferFactory())
    with pytest.raises(ValueError):
        entitlements_grant_order(order_id=order.pk, email=email, source=source, ref=ref)
    assert not Entitlement.objects.exists()


def test_an_order_s_lines_are_granted_from_the_database_in_one_statement() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    soon = timezone.localdate() + dt.timedelta(days=10)
    out = ReleaseFactory()
    artist = out.artist
    coming = ReleaseFactory(artist=artist, release_date=soon)
    single = TrackFactory(release=ReleaseFactory(artist=artist, release_date=soon))
    offers = [
        OfferFactory(artist=artist, release=out),
        OfferFactory(artist=artist, release=coming),
        OfferFactory(artist=artist, release=None, track=single, kind=Offer.Kind.TRACK),
        OfferFactory(artist=artist, release=None, kind=Offer.Kind.PHYSICAL),  # a T-shirt
    ]
    order = order_create(
        artist=artist,
        email="Fan@Example.org",
        lines=[LineSpec(offer=o, option=None, quantity=1, unit_price_minor=500) for o in offers],
    )
    with CaptureQueriesContext(connection) as queries:
        entitlements_grant_order(order_id=order.pk, email=order.email, source="order", ref="o9")
    assert len(queries) == 1

    rows = {(e.release_id, e.track_id): e for e in Entitlement.objects.all()}
    assert set(rows) == {(out.pk, None), (coming.pk, None), (None, single.pk)}
    assert {e.email for e in rows.values()} == {"fan@example.org"}
    assert rows[(out.pk, None)].notify_on_unlock is False
    assert rows[(coming.pk, None)].notify_on_unlock is True  # a pre-order
    assert rows[(None, single.pk)].notify_on_unlock is True  # its release is to come

    entitlement_revoke(entitlement=rows[(out.pk, None)], reason="refund")
    entitlements_grant_order(order_id=order.pk, email=order.email, source="order", ref="o9")
    assert Entitlement.objects.count() == 3
    assert Entitlement.objects.get(release=out).revoked_at is not None
