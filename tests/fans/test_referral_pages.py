"""Referral pages: the share-link visit and its cookies, the fan's link and ledger, the
band's referrals page (rules, voiding, thanking)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client, RequestFactory

from disquaire.catalog.models import Membership
from disquaire.core.models import ActivityEntry
from disquaire.fans.referrals import services
from disquaire.fans.referrals.models import (
    CreditEntry,
    DeviceSeen,
    PromoterThanks,
    Referral,
    ReferralSettings,
    ReleaseReward,
)
from disquaire.fans.referrals.web import DEVICE_COOKIE, REF_COOKIE, referral_visit
from disquaire.orders.models import AuditEntry
from tests.factories import MembershipFactory, UserFactory
from tests.fans.referral_helpers import (
    REFERRER,
    band_offer,
    fan_client,
    referred_sale,
    rewards_on,
)

pytestmark = pytest.mark.django_db


def test_a_share_link_visit_remembers_the_link_and_the_device_and_shows_the_release() -> None:
    offer = band_offer()
    link = services.share_link_for(email=REFERRER, release=offer.release)
    client = Client()
    response = client.get(f"/fans/r/{link.code}/")
    assert response.status_code == 302
    assert response["Location"] == offer.release.get_absolute_url()
    assert REF_COOKIE in response.cookies and DEVICE_COOKIE in response.cookies
    assert response.cookies[REF_COOKIE]["httponly"]
    request = RequestFactory().get("/")
    request.COOKIES = {k: v.value for k, v in client.cookies.items()}
    visit = referral_visit(request)
    assert visit.code == link.code and visit.visited_at is not None
    assert len(visit.device) == 32
    link.refresh_from_db()
    assert link.visits == 1


def test_the_first_share_link_visited_is_kept() -> None:
    offer = band_offer()
    first = services.share_link_for(email=REFERRER, release=offer.release)
    second = services.share_link_for(email="other@example.org", release=offer.release)
    client = Client()
    client.get(f"/fans/r/{first.code}/")
    kept = client.cookies[REF_COOKIE].value
    response = client.get(f"/fans/r/{second.code}/")
    assert REF_COOKIE not in response.cookies
    assert client.cookies[REF_COOKIE].value == kept


def test_an_unknown_share_link_is_not_found() -> None:
    assert Client().get("/fans/r/nosuchcode/").status_code == 404


def test_the_referrer_opening_their_own_link_is_not_their_own_referral() -> None:
    offer = band_offer()
    link = services.share_link_for(email=REFERRER, release=offer.release)
    client = fan_client(REFERRER)
    response = client.get(f"/fans/r/{link.code}/")
    assert REF_COOKIE not in response.cookies
    device = response.cookies[DEVICE_COOKIE].value
    # The browser is now known as the referrer's: a purchase from it is refused.
    assert DeviceSeen.objects.filter(email=REFERRER, device=device).exists()


def test_the_share_page_gives_a_signed_in_fan_their_link_and_others_the_sign_in() -> None:
    offer = band_offer()
    url = f"/fans/share/{offer.release.pk}/"
    assert Client().get(url).status_code == 302
    response = fan_client(REFERRER).get(url)
    assert response.status_code == 200
    link = services.share_link_for(email=REFERRER, release=offer.release)
    assert f"/fans/r/{link.code}/" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_the_library_shows_the_credit_ledger_and_share_links() -> None:
    offer = band_offer(1000)
    rewards_on(offer.artist, hold_days=0)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    referred_sale(offer, link=link)
    from disquaire.delivery.services import entitlement_grant

    entitlement_grant(email=REFERRER, release=offer.release, source="order", ref="x:1")
    page = fan_client(REFERRER).get("/library/").content.decode()
    assert "data-credit-available" in page
    assert "€1.00 to spend" in page
    assert f"/fans/r/{link.code}/" in page


@pytest.fixture
def owner_client(db: None) -> Any:
    offer = band_offer(1000)
    user = UserFactory(username="owner@example.org", email="owner@example.org")
    MembershipFactory(artist=offer.artist, user=user, role=Membership.Role.OWNER)
    client = Client()
    client.force_login(user)
    return client, offer


def test_the_owner_sets_the_bands_rules(owner_client: Any) -> None:
    client, offer = owner_client
    url = f"/backstage/artists/{offer.artist.slug}/referrals/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "enabled": "on",
            "credit_percent": "12,5",
            "free_release_after": "5",
            "hold_days": "21",
            "monthly_cap_minor": "20",
            "minimum_order_minor": "5",
        },
    )
    assert response.status_code == 302
    rules = ReferralSettings.objects.get(artist=offer.artist)
    assert (rules.credit_basis_points, rules.free_release_after, rules.hold_days) == (1250, 5, 21)
    assert (rules.monthly_cap_minor, rules.minimum_order_minor) == (2000, 500)
    assert rules.cap_to_spent is False
    logged = ActivityEntry.objects.filter(
        action="referrals.settings", artist_id=offer.artist.pk
    ).latest("pk")
    assert logged.after["hold_days"] == 21 and logged.actor
    assert not AuditEntry.objects.filter(action="referrals.settings").exists()
    bad = client.post(url, {"credit_percent": "12.345", "hold_days": "1"})
    assert bad.status_code == 400


def test_a_plain_member_sees_the_page_but_cannot_change_the_rules(owner_client: Any) -> None:
    _client, offer = owner_client
    user = UserFactory(username="m@example.org", email="m@example.org")
    MembershipFactory(artist=offer.artist, user=user, role=Membership.Role.MEMBER)
    client = Client()
    client.force_login(user)
    url = f"/backstage/artists/{offer.artist.slug}/referrals/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"hold_days": "0"}).status_code == 403


def test_the_band_voids_a_reward_from_its_page(owner_client: Any) -> None:
    client, offer = owner_client
    link = services.share_link_for(email=REFERRER, release=offer.release)
    order = referred_sale(offer, link=link)
    referral = Referral.objects.get(order=order)
    url = f"/backstage/artists/{offer.artist.slug}/referrals/{referral.pk}/void/"
    client.post(url, {"reason": ""})
    assert not CreditEntry.objects.filter(kind=CreditEntry.Kind.VOIDED).exists()
    client.post(url, {"reason": "Bought for themselves"})
    voided = CreditEntry.objects.get(kind=CreditEntry.Kind.VOIDED)
    assert (
        voided.reason == "Bought for themselves" and voided.actor == "backstage:owner@example.org"
    )


def test_the_band_thanks_a_promoter_with_a_message_and_a_download_code(
    owner_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client, offer = owner_client
    link = services.share_link_for(email=REFERRER, release=offer.release)
    referred_sale(offer, link=link)
    page = client.get(f"/backstage/artists/{offer.artist.slug}/referrals/").content.decode()
    assert REFERRER in page
    mail.outbox.clear()
    url = f"/backstage/artists/{offer.artist.slug}/referrals/thank/"
    # Only those whose links brought a sale can be thanked from here.
    assert client.post(url, {"email": "nobody@example.org", "message": "hi"}).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"email": REFERRER, "message": "Thank you!", "release": offer.release.pk}
        )
    assert response.status_code == 302
    thanks = PromoterThanks.objects.get()
    assert thanks.code_batch is not None
    code = thanks.code_batch.codes.get().code
    assert len(mail.outbox) == 1
    assert "Thank you!" in mail.outbox[0].body
    assert code[:4] in mail.outbox[0].body.replace("-", "")


def test_the_receipt_gives_the_buyer_their_share_link() -> None:
    from disquaire.orders.services import order_receipt_send_once, payment_confirm
    from tests.fans.referral_helpers import order_unpaid

    offer = band_offer(1000)
    order, payment = order_unpaid(offer, email="buyer@example.org")
    payment_confirm(payment=payment)
    mail.outbox.clear()
    assert order_receipt_send_once(order_id=order.pk)
    link = services.share_link_for(email="buyer@example.org", release=offer.release)
    body = mail.outbox[-1].body
    assert f"/fans/r/{link.code}/" in body


def test_a_fan_chooses_the_release_their_reward_gives(owner_client: Any) -> None:
    _client, offer = owner_client
    rewards_on(offer.artist, credit_basis_points=0, free_release_after=1, hold_days=0)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    referred_sale(offer, link=link)
    fan = fan_client(REFERRER)
    page = fan.get("/library/").content.decode()
    assert "A release of your choice from" in page
    reward = ReleaseReward.objects.get()
    response = fan.post(f"/fans/rewards/{reward.pk}/", {"release": offer.release.pk})
    assert response.status_code == 302 and "reward=used" in response["Location"]
    assert offer.release.entitlements.filter(email=REFERRER, source="free").exists()
    # Not twice, and not someone else's.
    again = fan.post(f"/fans/rewards/{reward.pk}/", {"release": offer.release.pk})
    assert "reward=refused" in again["Location"]
    assert fan_client("other@example.org").post(f"/fans/rewards/{reward.pk}/").status_code == 404


def test_the_band_sees_a_table_referral_and_voids_it(owner_client: Any) -> None:
    client, offer = owner_client
    link = services.share_link_for(email=REFERRER, release=offer.release)
    referral = services.referral_sale_record(
        artist_id=offer.artist_id,
        sale_ref="table:0190aaaa-0000-7000-8000-000000000001",
        code=link.code,
        buyer_email="friend@example.org",
        amount_minor=1500,
        currency=offer.artist.currency,
        paid=True,
        label="2026-12-01 Le Trabendo",
    )
    assert referral is not None and referral.state == Referral.State.COUNTED
    base = f"/backstage/artists/{offer.artist.slug}/referrals/"
    page = client.get(base).content.decode()
    assert "Le Trabendo" in page and REFERRER in page
    client.post(f"{base}{referral.pk}/void/", {"reason": "Bought for a friend of theirs"})
    referral.refresh_from_db()
    assert referral.state == Referral.State.VOIDED
    assert CreditEntry.objects.filter(kind=CreditEntry.Kind.VOIDED, referral=referral).exists()
    # One line in the one log (no order to add a step to), nothing in the older table.
    voided = ActivityEntry.objects.filter(action="referral.void", object_id=str(referral.pk))
    assert voided.count() == 1 and voided.get().order_id is None
    assert not AuditEntry.objects.exists()
