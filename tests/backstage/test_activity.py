"""The audit log: each back-office change leaves one entry (who, what, before, after),
written in the change's own transaction — a change that fails leaves none — and the band
reads it on its pages and on the activity page."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from disquaire.backstage.services import deletions, invitations, members
from disquaire.catalog.models import Membership, Release, Track
from disquaire.core.audit import acting_as, activity_for_artist
from disquaire.core.models import ActivityEntry
from disquaire.delivery.codes import code_batch_create
from disquaire.selling import services as shop_services
from disquaire.selling.models import Offer, ShippingZone
from tests.backstage.conftest import Band
from tests.factories import MembershipFactory, TrackFactory, UserFactory
from tests.shop.factories import OfferFactory, ShippingZoneFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db


def entries(band: Band) -> list[ActivityEntry]:
    """The band's back-office actions (not the steps of its orders' histories)."""
    return list(activity_for_artist(artist_id=band.artist.pk).order_by("pk"))


def only(band: Band, action: str) -> ActivityEntry:
    found = [e for e in entries(band) if e.action == action]
    assert len(found) == 1, [e.action for e in entries(band)]
    return found[0]


# --- members ------------------------------------------------------------------------------


def test_an_invitation_is_recorded_with_who_sent_it(band: Band) -> None:
    invitations.invitation_send(
        artist=band.artist, email=" New@Example.org ", role="member", by=band.user
    )
    entry = only(band, "member.invite")
    assert entry.actor == f"backstage:{band.user.email}"
    assert entry.after == {"email": "new@example.org", "role": "member"}


def test_a_role_change_and_a_removal_are_recorded_with_before_and_after(band: Band) -> None:
    other = MembershipFactory(artist=band.artist, user=UserFactory(), role="member")
    members.membership_role_set(
        artist=band.artist, membership_id=other.pk, role="owner", by=band.user
    )
    role = only(band, "member.role")
    assert (role.before["role"], role.after["role"]) == ("member", "owner")
    assert role.object_id == str(other.pk) and role.object_label == other.user.email
    members.membership_remove(artist=band.artist, membership_id=other.pk, by=band.user)
    removed = only(band, "member.remove")
    assert removed.before == {"email": other.user.email, "role": "owner"}
    assert removed.after == {}


def test_a_refused_membership_change_leaves_no_entry(band: Band) -> None:
    mine = Membership.objects.get(artist=band.artist, user=band.user)
    with pytest.raises(members.MembershipRefused):
        members.membership_role_set(
            artist=band.artist, membership_id=mine.pk, role="member", by=band.user
        )
    assert entries(band) == []


# --- deletions ----------------------------------------------------------------------------


def test_deleting_a_release_and_a_track_is_recorded(band: Band) -> None:
    track = TrackFactory(release=band.release, position=1, title="Gone")
    release_id = band.release.pk
    with acting_as("backstage:someone@example.org"):
        deletions.track_delete(track=track)
        deletions.release_delete(release=band.release)
    gone = only(band, "track.delete")
    assert gone.before["title"] == "Gone" and gone.after == {}
    assert gone.release_id == release_id
    release = only(band, "release.delete")
    assert release.before["title"] == band.release.title
    assert release.actor == "backstage:someone@example.org"


def test_a_refused_deletion_leaves_no_entry(band: Band) -> None:
    order_for(OfferFactory(release=band.release, artist=band.artist))
    with pytest.raises(deletions.InUse):
        deletions.release_delete(release=band.release)
    assert Release.objects.filter(pk=band.release.pk).exists()
    assert entries(band) == []


def test_an_orders_history_is_kept_in_the_same_log_but_shown_on_its_own_page(band: Band) -> None:
    order = order_for(OfferFactory(release=band.release, artist=band.artist))
    history = list(order.audit_entries)
    assert [e.action for e in history][:1] == ["order.create"]
    assert {(e.artist_id, e.order_id) for e in history} == {(band.artist.pk, order.pk)}
    assert entries(band) == []
    page = band.client.get(reverse("backstage:activity", kwargs={"artist": band.artist.slug}))
    assert "order.create" not in page.content.decode()


# --- offers, shipping, shop settings, codes ------------------------------------------------


def test_offer_changes_are_recorded_with_the_old_and_new_price(band: Band) -> None:
    offer = shop_services.offer_create(
        artist=band.artist, release=band.release, kind="digital", title="Album",
        pricing="fixed", price_minor=800,
    )  # fmt: skip
    shop_services.offer_update(offer=offer, price_minor=1000)
    shop_services.offer_update(offer=offer, price_minor=1000)  # no change: no entry
    shop_services.offer_delete(offer=offer)
    assert [e.action for e in entries(band)] == ["offer.create", "offer.update", "offer.delete"]
    update = only(band, "offer.update")
    assert (update.before["price_minor"], update.after["price_minor"]) == (800, 1000)
    assert update.release_id == band.release.pk
    assert only(band, "offer.delete").object_id == str(offer.pk or update.object_id)


def test_an_ordered_offer_refused_deletion_leaves_no_entry(band: Band) -> None:
    offer = OfferFactory(release=band.release, artist=band.artist)
    order_for(offer)
    with pytest.raises(shop_services.OfferInUse):
        shop_services.offer_delete(offer=offer)
    assert Offer.objects.filter(pk=offer.pk).exists()
    assert entries(band) == []


def test_shipping_zones_and_shop_settings_are_recorded(band: Band) -> None:
    zone = shop_services.shipping_zone_save(
        artist=band.artist, name="Europe", countries=["fr", "de"],
        first_item_minor=500, additional_item_minor=100,
    )  # fmt: skip
    shop_services.shipping_zone_save(
        artist=band.artist, zone=zone, name="Europe", countries=["fr", "de", "be"],
        first_item_minor=600, additional_item_minor=100,
    )  # fmt: skip
    shop_services.shipping_zone_delete(zone=zone)
    shop_services.shop_settings_update(artist=band.artist, ship_from_country="fr", vat_note="")
    assert [e.action for e in entries(band)] == [
        "shipping_zone.save", "shipping_zone.save", "shipping_zone.delete",
        "shop_settings.update",
    ]  # fmt: skip
    change = entries(band)[1]
    assert change.before["countries"] == ["DE", "FR"]
    assert change.after["countries"] == ["BE", "DE", "FR"]
    assert only(band, "shop_settings.update").after["ship_from_country"] == "FR"


def test_a_change_that_fails_after_writing_leaves_neither_the_change_nor_an_entry(
    band: Band, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = ShippingZoneFactory(artist=band.artist, name="Europe")
    real_save = ShippingZone.save

    def save_then_fail(self: ShippingZone, *args: Any, **kwargs: Any) -> None:
        real_save(self, *args, **kwargs)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(ShippingZone, "save", save_then_fail)
    with pytest.raises(RuntimeError):
        shop_services.shipping_zone_save(
            artist=band.artist, zone=zone, name="World", countries=["US"],
            first_item_minor=900, additional_item_minor=0,
        )  # fmt: skip
    assert ShippingZone.objects.get(pk=zone.pk).name == "Europe"
    assert entries(band) == []


def test_a_code_batch_is_recorded_and_a_refused_one_is_not(band: Band) -> None:
    with pytest.raises(ValueError):
        code_batch_create(release=band.release, size=0)
    assert entries(band) == []
    batch = code_batch_create(release=band.release, size=3, uses_per_code=2, label="Merch")
    entry = only(band, "codes.create")
    assert entry.object_id == str(batch.pk) and entry.release_id == band.release.pk
    assert entry.after["codes"] == 3 and entry.after["uses_per_code"] == 2


# --- what the band sees ---------------------------------------------------------------------


def test_the_activity_page_and_the_histories_show_the_entries(band: Band) -> None:
    other = MembershipFactory(artist=band.artist, user=UserFactory(), role="member")
    band.client.post(
        reverse("backstage:member_role", kwargs={"artist": band.artist.slug,
                                                 "membership_id": other.pk}),
        {"role": "owner"},
    )  # fmt: skip
    offer = OfferFactory(release=band.release, artist=band.artist, price_minor=800)
    with acting_as(f"backstage:{band.user.email}"):
        shop_services.offer_update(offer=offer, price_minor=1200)
    slug = band.artist.slug
    page = band.client.get(reverse("backstage:activity", kwargs={"artist": slug}))
    text = page.content.decode()
    assert "Changed a member&#x27;s role" in text and "Changed an offer" in text
    assert band.user.email in text
    members_page = band.client.get(reverse("backstage:members", kwargs={"artist": slug}))
    assert "Changed a member&#x27;s role" in members_page.content.decode()
    offer_page = band.client.get(
        reverse("backstage:offer_edit", kwargs={"artist": slug, "offer_id": offer.pk})
    ).content.decode()
    assert "Changed an offer" in offer_page and "800 → 1200" in offer_page
    release_page = band.client.get(
        reverse("backstage:release", kwargs={"artist": slug, "release_id": band.release.pk})
    ).content.decode()
    assert "Changed an offer" in release_page
    with translation.override("fr"):
        french = band.client.get(
            reverse("backstage:activity", kwargs={"artist": slug}), HTTP_ACCEPT_LANGUAGE="fr"
        ).content.decode()
    assert "Activité" in french and "A changé le rôle d’un membre" in french


def test_a_stranger_sees_nothing_of_the_log(band: Band, stranger: Band) -> None:
    with acting_as("backstage:x@example.org"):
        shop_services.offer_update(
            offer=OfferFactory(release=band.release, artist=band.artist), price_minor=1
        )
    page = stranger.client.get(reverse("backstage:activity", kwargs={"artist": band.artist.slug}))
    assert page.status_code == 404
    own = stranger.client.get(
        reverse("backstage:activity", kwargs={"artist": stranger.artist.slug})
    ).content.decode()
    assert "Changed an offer" not in own


def test_payment_secrets_never_reach_the_log(band: Band) -> None:
    from disquaire.payments import services as payment_services

    payment_services.bank_transfer_save(
        artist=band.artist, actor="backstage:owner", enabled=True, holder="Les Bijoux",
        iban="FR7630006000011234567890189", bic="AGRIFRPP", instructions="",
    )  # fmt: skip
    logged = json.dumps([[e.before, e.after] for e in entries(band)])
    assert "FR7630006000011234567890189" not in logged
    assert only(band, "payments.bank_transfer").object_type == "paymentsettings"


def test_deleted_rows_keep_their_trace(band: Band) -> None:
    track = TrackFactory(release=band.release, position=1)
    deletions.track_delete(track=track)
    assert not Track.objects.filter(pk=track.pk).exists()
    assert only(band, "track.delete").object_label
