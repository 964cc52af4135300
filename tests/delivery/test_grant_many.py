"""A paid order's downloads are granted in one INSERT, as idempotent as one by one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from disquaire.delivery.models import Entitlement
from disquaire.delivery.services import entitlement_revoke, entitlements_grant_many
from tests.factories import ReleaseFactory, TrackFactory

pytestmark = pytest.mark.django_db


def test_releases_and_tracks_are_granted_once_whatever_the_repeats() -> None:
    release = ReleaseFactory()
    track = TrackFactory()
    future = ReleaseFactory(release_date=timezone.localdate() + dt.timedelta(days=10))

    for _ in range(2):
        entitlements_grant_many(
            email=" Fan@Example.ORG", items=[release, track, future], source="order", ref="o1"
        )

    rows = {
        (e.release_id, e.track_id): e for e in Entitlement.objects.filter(email="fan@example.org")
    }
    assert set(rows) == {(release.pk, None), (None, track.pk), (future.pk, None)}
    assert rows[(future.pk, None)].notify_on_unlock is True
    assert rows[(release.pk, None)].notify_on_unlock is False


def test_a_revoked_grant_stays_revoked_and_another_ref_is_a_new_grant() -> None:
    release = ReleaseFactory()
    entitlements_grant_many(email="fan@example.org", items=[release], source="order", ref="o1")
    entitlement_revoke(entitlement=Entitlement.objects.get(), reason="refunded")

    entitlements_grant_many(email="fan@example.org", items=[release], source="order", ref="o1")
    entitlements_grant_many(email="fan@example.org", items=[release], source="order", ref="o2")

    assert Entitlement.objects.get(source_ref="o1").revoked_at is not None
    assert Entitlement.objects.get(source_ref="o2").revoked_at is None


@pytest.mark.parametrize(
    ("email", "source", "ref"),
    [("", "order", "o1"), ("fan@example.org", "gift", "o1"), ("fan@example.org", "order", "")],
)
def test_a_bad_grant_is_refused(email: str, source: str, ref: str) -> None:
    with pytest.raises(ValueError):
        entitlements_grant_many(email=email, items=[ReleaseFactory()], source=source, ref=ref)
    assert not Entitlement.objects.exists()


def test_an_order_s_lines_are_granted_from_the_database_in_one_statement() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from disquaire.delivery.services import entitlements_grant_order
    from disquaire.orders.services import LineSpec, order_create
    from disquaire.shop.models import Offer
    from tests.shop.factories import OfferFactory

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
