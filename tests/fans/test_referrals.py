"""Referral rewards: who is credited, when, how much, and when not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from disquaire.core.money import Money
from disquaire.fans.referrals import services
from disquaire.fans.referrals.models import CreditEntry, Referral, ReleaseReward
from disquaire.fans.referrals.selectors import (
    credit_available,
    credit_balance,
    fan_credits,
    top_promoters,
)
from disquaire.orders.models import OrderState
from disquaire.orders.services import payment_confirm, payment_refunded_by_provider
from tests.factories import ReleaseFactory
from tests.fans.referral_helpers import (
    BUYER,
    REFERRER,
    band_offer,
    order_unpaid,
    referred_sale,
    rewards_on,
    visit,
)
from tests.shop.factories import OfferFactory

pytestmark = pytest.mark.django_db


def _balance(offer, email=REFERRER, now=None):  # type: ignore[no-untyped-def]
    account = services.account_lock(artist_id=offer.artist_id, email=email)
    return credit_balance(account=account, now=now)


def test_a_sale_through_a_share_link_within_30_days_credits_the_referrer() -> None:
    offer = band_offer(1000)
    link = services.share_link_for(email="Promoter@Example.org ", release=offer.release)
    assert link.email == REFERRER
    order = referred_sale(offer, link=link, when=visit(link, ago=timedelta(days=29)))
    referral = Referral.objects.get(order=order)
    assert referral.state == Referral.State.COUNTED
    balance = _balance(offer)
    assert (balance.pending, balance.available) == (100, 0)


def test_a_visit_older_than_30_days_refers_nobody() -> None:
    offer = band_offer(1000)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    order = referred_sale(offer, link=link, when=visit(link, ago=timedelta(days=30, seconds=1)))
    assert not Referral.objects.filter(order=order).exists()
    assert not CreditEntry.objects.exists()


def test_the_same_share_link_is_given_back_every_time() -> None:
    offer = band_offer()
    first = services.share_link_for(email=REFERRER, release=offer.release)
    assert services.share_link_for(email=" PROMOTER@example.org", release=offer.release) == first


def test_a_link_to_another_bands_release_does_not_refer_this_bands_sale() -> None:
    offer = band_offer()
    link = services.share_link_for(email=REFERRER, release=ReleaseFactory())
    order = referred_sale(offer, link=link)
    assert not Referral.objects.filter(order=order).exists()


@pytest.mark.parametrize("signal", ["email", "account", "device", "card"])
def test_the_referrer_buying_through_their_own_link_earns_nothing(signal: str) -> None:
    offer = band_offer(1000)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    device = "ab" * 16
    buyer, when, card = BUYER, visit(link), ""
    if signal == "email":
        buyer = " Promoter@EXAMPLE.org"
    elif signal == "account":
        when = visit(link, fan_email=REFERRER)
    elif signal == "device":
        services.device_seen(email=REFERRER, device=device)
        when = visit(link, device=device)
    else:
        # The referrer once paid with this card (their own order).
        referred_sale(offer, link=link, email=REFERRER, card="fp_card_1")
        card = "fp_card_1"
    order = referred_sale(offer, link=link, email=buyer, when=when, card=card)
    referral = Referral.objects.get(order=order)
    assert referral.state == Referral.State.REFUSED
    assert referral.refusal == f"self:{signal}"
    assert not CreditEntry.objects.filter(referral=referral).exists()


def test_a_device_seen_at_the_referrers_own_checkout_is_theirs() -> None:
    offer = band_offer(1000)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    device = "cd" * 16
    # The referrer bought once from this browser (no link involved)...
    order, _payment = order_unpaid(offer, email=REFERRER)
    services.referral_attach(order=order, visit=services.ReferralVisit(device=device))
    # ...then a "friend" buys from the same browser through the link.
    sale = referred_sale(offer, link=link, when=visit(link, device=device))
    assert Referral.objects.get(order=sale).refusal == "self:device"


def test_credit_earned_in_a_month_stops_at_the_bands_cap() -> None:
    offer = band_offer(1000)
    rewards_on(offer.artist, monthly_cap_minor=250)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    for n in range(4):
        referred_sale(offer, link=link, email=f"friend{n}@example.org")
    earned = CreditEntry.objects.filter(kind=CreditEntry.Kind.EARNED)
    assert sorted(e.amount_minor for e in earned) == [50, 100, 100]
    # The fourth sale still counts as a referral (for a release reward, the promoters list).
    assert Referral.objects.filter(state=Referral.State.COUNTED).count() == 4


def test_an_order_under_the_minimum_does_not_count() -> None:
    offer = band_offer(500)
    rewards_on(offer.artist, minimum_order_minor=501)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    order = referred_sale(offer, link=link)
    referral = Referral.objects.get(order=order)
    assert (referral.state, referral.refusal) == (Referral.State.REFUSED, "minimum")
    at_minimum = OfferFactory(price_minor=501, release=offer.release, artist=offer.artist)
    referred_sale(at_minimum, link=link, email="other@example.org")
    assert _balance(offer).pending == 50


def test_rewards_switched_off_count_nothing() -> None:
    offer = band_offer(1000)
    rewards_on(offer.artist, enabled=False)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    order = referred_sale(offer, link=link)
    assert Referral.objects.get(order=order).refusal == "off"


def test_credit_becomes_usable_only_after_the_holding_period() -> None:
    offer = band_offer(1000)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    referred_sale(offer, link=link)
    now = timezone.now()
    assert _balance(offer, now=now + timedelta(days=13, hours=23)).available == 0
    later = _balance(offer, now=now + timedelta(days=14, minutes=1))
    assert (later.available, later.pending) == (100, 0)


def test_a_hold_of_zero_days_makes_credit_usable_at_once() -> None:
    offer = band_offer(1000)
    rewards_on(offer.artist, hold_days=0)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    referred_sale(offer, link=link)
    assert credit_available(artist=offer.artist, email=REFERRER) == 100


def test_a_refund_of_the_referred_order_reverses_the_credit() -> None:
    offer = band_offer(1000)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    order = referred_sale(offer, link=link)
    payment = order.payments.get()
    payment_refunded_by_provider(payment=payment, refunded_minor=payment.amount_minor)
    order.refresh_from_db()
    assert order.state == OrderState.REFUNDED
    referral = Referral.objects.get(order=order)
    assert referral.state == Referral.State.REVERSED
    reversal = CreditEntry.objects.get(kind=CreditEntry.Kind.REVERSED)
    assert reversal.amount_minor == 100 and reversal.cancels is not None
    assert _balance(offer, now=timezone.now() + timedelta(days=30)).available == 0
    assert order.audit_entries.filter(action="referral.reverse").exists()


def test_the_band_voids_a_credit_with_a_reason_and_it_is_audited() -> None:
    offer = band_offer(1000)
    rewards_on(offer.artist, hold_days=0)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    order = referred_sale(offer, link=link)
    referral = Referral.objects.get(order=order)
    with pytest.raises(services.CreditError):
        services.credit_void(referral=referral, reason="  ", actor="owner@example.org")
    entry = services.credit_void(referral=referral, reason="Same household", actor="owner@x.org")
    assert entry is not None and entry.kind == CreditEntry.Kind.VOIDED
    assert credit_available(artist=offer.artist, email=REFERRER) == 0
    audit = order.audit_entries.get(action="referral.void")
    assert audit.after["reason"] == "Same household" and audit.actor == "owner@x.org"
    assert audit.order_id == order.pk
    with pytest.raises(services.CreditError):
        services.credit_void(referral=referral, reason="again", actor="owner@x.org")
    ledger = fan_credits(email=REFERRER)[0]
    assert [line.status for line in ledger.lines] == ["voided", "voided"]


def test_rewards_never_exceed_what_the_referrer_spent_unless_the_band_allows() -> None:
    offer = band_offer(1000)
    rewards_on(offer.artist, cap_to_spent=True, credit_basis_points=5000)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    referred_sale(offer, link=link)  # the referrer never bought anything: nothing earned
    assert not CreditEntry.objects.exists()
    # The referrer buys for 6.00 (a test order, as the referred ones here).
    cheap = OfferFactory(price_minor=600, release=offer.release, artist=offer.artist)
    referred_sale(cheap, link=link, email=REFERRER)
    referred_sale(offer, link=link, email="a@example.org")  # 500 earned of 600
    referred_sale(offer, link=link, email="b@example.org")  # only 100 left
    assert sorted(CreditEntry.objects.values_list("amount_minor", flat=True)) == [100, 500]
    rewards_on(offer.artist, cap_to_spent=False, credit_basis_points=5000)
    referred_sale(offer, link=link, email="c@example.org")
    assert _balance(offer).pending == 1100


def test_a_free_release_after_n_referred_sales() -> None:
    offer = band_offer(1000)
    rewards_on(offer.artist, credit_basis_points=0, free_release_after=2, hold_days=0)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    referred_sale(offer, link=link, email="a@example.org")
    assert not ReleaseReward.objects.exists()
    referred_sale(offer, link=link, email="b@example.org")
    reward = ReleaseReward.objects.get()
    other = ReleaseFactory(artist=offer.artist)
    with pytest.raises(services.CreditError):
        services.release_reward_use(reward=reward, release=ReleaseFactory(), email=REFERRER)
    services.release_reward_use(reward=reward, release=other, email=REFERRER)
    reward.refresh_from_db()
    assert reward.state == ReleaseReward.State.USED
    assert other.entitlements.filter(email=REFERRER).exists()
    with pytest.raises(services.CreditError):
        services.release_reward_use(reward=reward, release=other, email=REFERRER)


def test_the_share_is_rounded_down_in_minor_units() -> None:
    assert Money(999, "EUR").share(1250).minor == 124  # 12.5 % of 9.99 = 1.24875
    assert Money(1999, "JPY").share(333).minor == 66
    assert Money(1, "EUR").share(9999).minor == 0
    offer = band_offer(999)
    rewards_on(offer.artist, credit_basis_points=1250)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    referred_sale(offer, link=link)
    assert CreditEntry.objects.get().amount_minor == 124


def test_top_promoters_are_ranked_by_counted_sales() -> None:
    offer = band_offer(1000)
    first = services.share_link_for(email=REFERRER, release=offer.release)
    second = services.share_link_for(email="second@example.org", release=offer.release)
    for n in range(2):
        referred_sale(offer, link=first, email=f"f{n}@example.org")
    referred_sale(offer, link=second, email="g@example.org")
    ranked = top_promoters(artist=offer.artist, is_test=True)
    assert [(p.email, p.referred, p.sales_minor, p.credit_minor) for p in ranked] == [
        (REFERRER, 2, 2000, 200),
        ("second@example.org", 1, 1000, 100),
    ]
    assert top_promoters(artist=offer.artist) == []


def test_an_order_paid_before_a_referral_is_attached_is_unaffected() -> None:
    offer = band_offer(1000)
    order, payment = order_unpaid(offer)
    payment_confirm(payment=payment)
    assert not Referral.objects.exists()
    assert order.credit_minor == 0


def test_the_card_fingerprint_is_read_from_stripes_expanded_session() -> None:
    from disquaire.payments.providers.stripe import card_fingerprint

    session = {
        "payment_intent": {
            "id": "pi_1",
            "latest_charge": {"payment_method_details": {"card": {"fingerprint": "Xt5EWLL"}}},
        }
    }
    assert card_fingerprint(session) == "Xt5EWLL"
    assert card_fingerprint({"payment_intent": "pi_1"}) == ""
    assert card_fingerprint({}) == ""


def _reward_ready(offer, **rules):  # type: ignore[no-untyped-def]
    """A promoter with one release reward to choose (one referred sale earns it)."""
    rewards_on(offer.artist, credit_basis_points=0, free_release_after=1, hold_days=0, **rules)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    referred_sale(offer, link=link, email=f"buyer{ReleaseReward.objects.count()}@example.org")
    return ReleaseReward.objects.filter(state=ReleaseReward.State.EARNED).latest("pk")


def _priced_release(artist, price):  # type: ignore[no-untyped-def]
    release = ReleaseFactory(artist=artist)
    OfferFactory(artist=artist, release=release, price_minor=price)
    return release


def test_a_release_reward_worth_more_than_the_monthly_cap_leaves_is_refused() -> None:
    offer = band_offer(1000)
    reward = _reward_ready(offer, monthly_cap_minor=800)
    dear, cheap = _priced_release(offer.artist, 900), _priced_release(offer.artist, 700)
    with pytest.raises(services.CreditError):
        services.release_reward_use(reward=reward, release=dear, email=REFERRER)
    reward.refresh_from_db()
    assert reward.state == ReleaseReward.State.EARNED  # nothing written
    assert not dear.entitlements.exists()
    services.release_reward_use(reward=reward, release=cheap, email=REFERRER)
    reward.refresh_from_db()
    assert (reward.state, reward.value_minor) == (ReleaseReward.State.USED, 700)
    # The 7.00 counts against the month: a second reward has only 1.00 of room.
    second = _reward_ready(offer, monthly_cap_minor=800)
    with pytest.raises(services.CreditError):
        services.release_reward_use(reward=second, release=cheap, email=REFERRER)


def test_a_chosen_release_counts_against_credit_earned_in_the_month() -> None:
    offer = band_offer(1000)
    reward = _reward_ready(offer, monthly_cap_minor=800)
    services.release_reward_use(
        reward=reward, release=_priced_release(offer.artist, 700), email=REFERRER
    )
    rewards_on(offer.artist, credit_basis_points=5000, free_release_after=0, monthly_cap_minor=800)
    referred_sale(offer, link=reward.referral.link, email="later@example.org")  # 5.00 asked
    assert CreditEntry.objects.get(kind="earned").amount_minor == 100  # 1.00 left


def test_a_release_reward_never_exceeds_what_the_fan_spent_unless_the_band_allows() -> None:
    offer = band_offer(1000)
    reward = _reward_ready(offer, cap_to_spent=True)
    release = _priced_release(offer.artist, 500)
    with pytest.raises(services.CreditError):  # the promoter never bought anything
        services.release_reward_use(reward=reward, release=release, email=REFERRER)
    referred_sale(  # the promoter buys for 6.00 (test orders, as the referred one)
        OfferFactory(price_minor=600, release=offer.release, artist=offer.artist),
        link=reward.referral.link,
        email=REFERRER,
    )
    services.release_reward_use(reward=reward, release=release, email=REFERRER)
    assert release.entitlements.filter(email=REFERRER).exists()
    # A release without a digital offer is worth nothing and always fits.
    second = _reward_ready(offer, cap_to_spent=True)
    services.release_reward_use(
        reward=second, release=ReleaseFactory(artist=offer.artist), email=REFERRER
    )


def test_the_library_offers_only_releases_that_fit_the_caps() -> None:
    from disquaire.fans.referrals.selectors import library_referrals

    offer = band_offer(1000)
    _reward_ready(offer, monthly_cap_minor=800)
    cheap = _priced_release(offer.artist, 700)
    _priced_release(offer.artist, 900)
    [reward] = library_referrals(email=REFERRER)["rewards"]
    assert cheap in reward.choices
    assert all(r.title != "" for r in reward.choices)
    assert not [r for r in reward.choices if r.offers.filter(price_minor=900).exists()]
