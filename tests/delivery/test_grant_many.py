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
