"""The band's desk: what needs doing, counted right, and acted on from there."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from disquaire.backstage.desk import desk_for_artist, desk_todo_counts
from disquaire.catalog.models import Membership, ProcessingStatus
from disquaire.orders.models import Order, OrderState
from disquaire.orders.services import payment_confirm, payment_create
from disquaire.selling.models import Offer
from disquaire.shop.models import Subscriber
from disquaire.storefront.models import TrackPlayDay
from tests.backstage.conftest import Band
from tests.factories import ArtistFactory, MembershipFactory, TrackFactory
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db


def _paid(offer: Offer, *, provider: str = "stripe", email: str = "fan@example.org") -> Order:
    order = order_for(offer, email=email)
    if provider == "test":
        # As the checkout does: an order made with the test payment is a test order.
        Order.objects.filter(pk=order.pk).update(is_test=True)
    payment_confirm(payment=payment_create(order=order, provider=provider))
    order.refresh_from_db()
    return order


def _cd(band: Band, **kwargs: Any) -> Offer:
    return OfferFactory(
        release=band.release, kind=Offer.Kind.PHYSICAL, title="CD", price_minor=1200, **kwargs
    )


def test_the_desk_counts_orders_to_ship_transfers_flags_and_failed_encodes(band: Band) -> None:
    cd = _cd(band)
    _paid(cd)
    _paid(cd)
    shipped = _paid(cd)
    Order.objects.filter(pk=shipped.pk).update(state=OrderState.FULFILLED)
    _paid(OfferFactory(release=band.release))  # digital: nothing to post
    waiting = order_for(OfferFactory(release=band.release))
    payment_create(order=waiting, provider="manual", started_ref=f"manual-{waiting.code}")
    flagged = _paid(OfferFactory(release=band.release))
    Order.objects.filter(pk=flagged.pk).update(needs_attention=True, attention_note="Check it")
    TrackFactory(release=band.release, status=ProcessingStatus.FAILED, error="bad file")
    TrackFactory(release=band.release, status=ProcessingStatus.READY)

    desk = desk_for_artist(artist=band.artist)

    assert (desk.to_ship_count, desk.transfers_count, desk.attention_count) == (2, 1, 1)
    assert len(desk.failed_tracks) == 1 and desk.settlements == []
    assert desk.todo_count == 5
    assert desk_todo_counts(artist=band.artist) == {
        "to_ship": 2,
        "transfers": 1,
        "attention": 1,
        "failed_tracks": 1,
        "settlements": 0,
    }


def test_another_artists_orders_never_reach_this_desk(band: Band, stranger: Band) -> None:
    _paid(_cd(stranger))
    assert desk_for_artist(artist=band.artist).to_ship_count == 0


def test_sales_of_today_and_this_month_leave_test_orders_out(band: Band) -> None:
    cd = _cd(band)
    _paid(cd)
    _paid(cd, provider="test")
    earlier = _paid(cd)
    today = timezone.localdate()
    Order.objects.filter(pk=earlier.pk).update(paid_at=timezone.now() - timedelta(days=40))
    track = TrackFactory(release=band.release)
    TrackPlayDay.objects.create(track=track, day=today, plays=7)
    TrackPlayDay.objects.create(track=track, day=today.replace(day=1) - timedelta(days=1), plays=99)
    if today.day > 1:
        TrackPlayDay.objects.create(track=track, day=today.replace(day=1), plays=3)

    desk = desk_for_artist(artist=band.artist, today=today)

    assert (desk.today.orders, desk.today.revenue.minor, desk.today.plays) == (1, 1200, 7)
    assert desk.month.orders == 1
    assert desk.month.plays == (10 if today.day > 1 else 7)
    assert len(desk.latest_buyers) == 2  # the two real sales, not the test one


def test_the_home_of_a_one_artist_member_is_the_desk_with_orders_to_ship(band: Band) -> None:
    order = _paid(_cd(band))
    Subscriber.objects.create(
        artist=band.artist, email="listener@example.org", confirmed_at=timezone.now()
    )
    page = band.client.get(reverse("backstage:home")).content.decode()
    assert "1 order to ship" in page
    assert order.code in page and "Mark shipped" in page
    assert "listener@example.org" in page  # the latest fans
    assert "€12.00" in page  # today's sales


def test_the_desk_reads_in_french_with_french_amounts(band: Band) -> None:
    _paid(_cd(band))
    with translation.override("fr"):
        page = band.client.get(
            reverse("backstage:home"), HTTP_ACCEPT_LANGUAGE="fr"
        ).content.decode()
    assert "1 commande à expédier" in page
    assert "12,00\u00a0€" in page


def test_marking_shipped_from_the_desk_takes_the_order_off_it(band: Band) -> None:
    order = _paid(_cd(band))
    home = reverse("backstage:home")
    response = band.client.post(
        reverse("backstage:order_ship", kwargs={"artist": band.artist.slug, "code": order.code}),
        {"tracking_number": "", "next": home},
    )
    assert response.status_code == 302 and response.url == home
    order.refresh_from_db()
    assert order.state == OrderState.FULFILLED
    page = band.client.get(home).content.decode()
    assert "order to ship" not in page and "Nothing to do right now" in page


def test_a_next_address_outside_the_backstage_is_not_followed(band: Band) -> None:
    order = _paid(_cd(band))
    response = band.client.post(
        reverse("backstage:order_ship", kwargs={"artist": band.artist.slug, "code": order.code}),
        {"next": "https://elsewhere.example/backstage/"},
    )
    assert response.url == reverse(
        "backstage:order", kwargs={"artist": band.artist.slug, "code": order.code}
    )


def test_a_transfer_is_confirmed_from_the_desk(band: Band) -> None:
    order = order_for(OfferFactory(release=band.release))
    payment = payment_create(order=order, provider="manual", started_ref=f"manual-{order.code}")
    desk_url = reverse("backstage:desk", kwargs={"artist": band.artist.slug})
    assert "1 bank transfer to confirm" in band.client.get(desk_url).content.decode()
    band.client.post(
        reverse(
            "backstage:order_mark_paid", kwargs={"artist": band.artist.slug, "code": order.code}
        ),
        {"payment": payment.pk, "next": desk_url},
    )
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert "bank transfer to confirm" not in band.client.get(desk_url).content.decode()


def test_a_member_of_several_artists_sees_each_with_its_count(band: Band) -> None:
    other = ArtistFactory(name="Zebra", slug="zebra")
    MembershipFactory(artist=other, user=band.user, role=Membership.Role.MEMBER)
    _paid(_cd(band))
    page = band.client.get(reverse("backstage:home")).content.decode()
    assert "1 order to ship" in page and "Zebra" in page and "Nothing to do" in page


def test_a_stranger_cannot_open_another_bands_desk(band: Band, stranger: Band) -> None:
    url = reverse("backstage:desk", kwargs={"artist": band.artist.slug})
    assert stranger.client.get(url).status_code == 404


def test_the_day_an_order_was_paid_reads_unambiguously_in_each_language(band: Band) -> None:
    order = _paid(_cd(band))
    paid = timezone.make_aware(timezone.datetime(2026, 12, 4, 15, 0))
    Order.objects.filter(pk=order.pk).update(paid_at=paid)
    page = band.client.get(reverse("backstage:home")).content.decode()
    # Not "12/04/2026", which a reader outside the US takes for the 12th of April.
    assert "paid Dec. 4, 2026" in page and "12/04/2026" not in page
    with translation.override("fr"):
        french = band.client.get(
            reverse("backstage:home"), HTTP_ACCEPT_LANGUAGE="fr"
        ).content.decode()
    assert "payée le 4 décembre 2026" in french
