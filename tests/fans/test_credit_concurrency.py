"""Store credit spent by several checkouts at once, on PostgreSQL: never twice, never
below zero. The control takes the account's row lock away and shows the double spend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from disquaire.fans.referrals import credit, selectors, services
from disquaire.fans.referrals.credit import _account
from disquaire.fans.referrals.models import CreditAccount, CreditEntry
from disquaire.orders.models import Order
from disquaire.orders.services import LineSpec, order_create_paying
from tests.fans.referral_helpers import REFERRER, band_offer, referred_sale, rewards_on
from tests.meeting import meeting_point, run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CHECKOUTS = 8


def _fan_with_credit() -> Any:
    """A promoter with 10.00 of available credit, and an offer costing 10.00."""
    offer = band_offer(10000)
    rewards_on(offer.artist, hold_days=0)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    referred_sale(offer, link=link)
    assert selectors.credit_available(artist=offer.artist, email=REFERRER) == 1000
    return band_offer_priced(offer, 1000)


def band_offer_priced(offer: Any, price: int) -> Any:
    offer.price_minor = price
    offer.save(update_fields=["price_minor"])
    return offer


def _spend_all(offer: Any) -> Callable[[int], Order]:
    def work(_i: int) -> Order:
        def create(credit: int) -> Order:
            order, _payment = order_create_paying(
                provider="test",
                started=True,
                is_test=True,
                artist=offer.artist,
                email=REFERRER,
                lines=[LineSpec(offer=offer, option=None, quantity=1, unit_price_minor=1000)],
                credit_minor=credit,
            )
            return order

        return services.credit_order_create(
            artist=offer.artist, email=REFERRER, credit_minor=1000, create=create
        )

    return work


def _lock_taken_away(
    monkeypatch: pytest.MonkeyPatch, module: Any, *, check: str, parties: int
) -> None:
    """Control: ``module`` reads the fan's account without its row lock, and each thread
    waits after ``check`` (reading the balance, measuring the room) until every other
    one has done it too (a barrier, not a sleep), so they all see the same figure."""
    met = meeting_point(parties)
    original = getattr(module, check)

    def unlocked(*, artist_id: int, email: str) -> CreditAccount:
        return _account(artist_id=artist_id, email=email)

    def check_then_wait(**kwargs: Any) -> Any:
        found = original(**kwargs)
        met()
        return found

    monkeypatch.setattr(module, "account_lock", unlocked)
    monkeypatch.setattr(module, check, check_then_wait)


def _spent() -> int:
    return sum(
        CreditEntry.objects.filter(kind=CreditEntry.Kind.SPENT).values_list(
            "amount_minor", flat=True
        )
    )


def test_credit_is_spent_once_by_checkouts_at_the_same_moment() -> None:
    offer = _fan_with_credit()
    results = run_at_once(CHECKOUTS, _spend_all(offer))
    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, services.CreditError)]
    assert len(orders) == 1, results
    assert len(refused) == CHECKOUTS - 1, results
    assert _spent() == 1000
    assert Order.objects.filter(credit_minor=1000).count() == 1
    account = CreditAccount.objects.get(email=REFERRER)
    balance = selectors.credit_balance(account=account)
    assert (balance.available, balance.owed) == (0, 0)


def test_control_without_the_account_lock_the_credit_is_spent_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same checkouts with the row lock taken away; they all read the same 10.00."""
    offer = _fan_with_credit()
    original = services.credit_balance
    _lock_taken_away(monkeypatch, services, check="credit_balance", parties=CHECKOUTS)
    results = run_at_once(CHECKOUTS, _spend_all(offer))
    orders = [r for r in results if isinstance(r, Order)]
    assert len(orders) > 1, results
    assert _spent() > 1000  # spent more than the fan had: the lock is what prevents it
    monkeypatch.setattr(services, "credit_balance", original)
    account = CreditAccount.objects.get(email=REFERRER)
    assert selectors.credit_balance(account=account).owed > 0


# --- release rewards chosen at the same moment: the caps hold ----------------------------

REWARDS = 4


def _rewards_to_choose() -> tuple[list[Any], Any]:
    """A promoter with four release rewards ready and a monthly cap with room for one
    10.00 release."""
    from disquaire.fans.referrals.models import ReleaseReward
    from tests.factories import ReleaseFactory
    from tests.shop.factories import OfferFactory

    offer = band_offer(1000)
    rewards_on(
        offer.artist,
        credit_basis_points=0,
        free_release_after=1,
        hold_days=0,
        monthly_cap_minor=1500,
    )
    link = services.share_link_for(email=REFERRER, release=offer.release)
    for i in range(REWARDS):
        referred_sale(offer, link=link, email=f"buyer{i}@example.org")
    release = ReleaseFactory(artist=offer.artist)
    OfferFactory(artist=offer.artist, release=release, price_minor=1000)
    return list(ReleaseReward.objects.order_by("pk")), release


def _choose(rewards: list[Any], release: Any) -> Callable[[int], Any]:
    def work(i: int) -> Any:
        return services.release_reward_use(reward=rewards[i], release=release, email=REFERRER)

    return work


def _used() -> int:
    from disquaire.fans.referrals.models import ReleaseReward

    return ReleaseReward.objects.filter(state=ReleaseReward.State.USED).count()


def test_release_rewards_chosen_at_once_stay_within_the_monthly_cap() -> None:
    rewards, release = _rewards_to_choose()
    results = run_at_once(REWARDS, _choose(rewards, release))
    refused = [r for r in results if isinstance(r, services.CreditError)]
    assert len(refused) == REWARDS - 1, results
    assert _used() == 1


def test_control_without_the_account_lock_rewards_pass_the_cap_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same choices with the account's row lock taken away; they all measure the
    same room."""
    rewards, release = _rewards_to_choose()
    _lock_taken_away(monkeypatch, services, check="reward_room", parties=REWARDS)
    results = run_at_once(REWARDS, _choose(rewards, release))
    assert _used() > 1, results  # 20.00 or more given under a 15.00 cap: the lock prevents it


# --- table sales credited at the same moment: the monthly cap holds ----------------------

SALES = 4


def _table_sales_at_once() -> tuple[Any, Callable[[int], Any]]:
    """A promoter's code scanned with four table sales of 15.00 synced at once (1.50 each
    at 10 %), under a monthly cap of 3.00."""
    offer = band_offer(1000)
    rewards_on(offer.artist, hold_days=0, monthly_cap_minor=300)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    _account(artist_id=offer.artist_id, email=REFERRER)  # a fan who earned before

    def work(i: int) -> Any:
        return services.referral_sale_record(
            artist_id=offer.artist_id,
            sale_ref=f"table:race-{i}",
            code=link.code,
            buyer_email=f"buyer{i}@example.org",
            amount_minor=1500,
            currency=offer.artist.currency,
            paid=True,
        )

    return offer, work


def _earned() -> int:
    return sum(
        CreditEntry.objects.filter(kind=CreditEntry.Kind.EARNED).values_list(
            "amount_minor", flat=True
        )
    )


def test_table_sales_credited_at_once_stay_within_the_monthly_cap() -> None:
    _offer, work = _table_sales_at_once()
    results = run_at_once(SALES, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert _earned() == 300


def test_control_without_the_account_lock_table_sales_pass_the_cap_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _offer, work = _table_sales_at_once()
    _lock_taken_away(monkeypatch, credit, check="reward_room", parties=SALES)
    results = run_at_once(SALES, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert _earned() > 300  # more than the cap: the lock is what prevents it
