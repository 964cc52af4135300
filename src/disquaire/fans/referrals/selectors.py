"""Reads about referrals and store credit: balances, ledgers, promoters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from disquaire.catalog.models import Artist, Release
from disquaire.core.addresses import email_normalise
from disquaire.fans.referrals.models import (
    CreditAccount,
    CreditEntry,
    Referral,
    ReferralSettings,
    ReleaseReward,
)
from disquaire.orders.models import Order, OrderState
from disquaire.selling.models import Offer

# A spend stops counting (the credit comes back) when its order will never be paid.
SPEND_RETURNED_STATES = (OrderState.CANCELLED, OrderState.EXPIRED, OrderState.REFUNDED)


@dataclass(frozen=True)
class Balance:
    """What a fan has with one artist, in the artist's currency (minor units).

    ``available`` may be spent now; ``pending`` is earned but still in its holding
    period. ``owed`` is more than zero only when credit already spent was reversed
    afterwards: nothing can be spent until it is made up."""

    currency: str
    available: int = 0
    pending: int = 0
    owed: int = 0


def referral_settings_for(artist: Artist) -> ReferralSettings:
    """The artist's settings (an unsaved, switched-off row when never set)."""
    found = ReferralSettings.objects.filter(artist=artist).first()
    return found or ReferralSettings(artist=artist)


def credit_balance(*, account: CreditAccount, now: datetime | None = None) -> Balance:
    """The account's balance derived from its ledger (two queries)."""
    now = now or timezone.now()
    currency = account.artist.currency
    entries = CreditEntry.objects.filter(account=account, currency=currency)
    earned = entries.filter(kind=CreditEntry.Kind.EARNED, cancelled_by__isnull=True).aggregate(
        ready=Sum("amount_minor", filter=Q(available_at__lte=now)),
        held=Sum("amount_minor", filter=Q(available_at__gt=now)),
    )
    spent = (
        entries.filter(kind=CreditEntry.Kind.SPENT)
        .exclude(order__state__in=SPEND_RETURNED_STATES)
        .aggregate(n=Sum("amount_minor"))["n"]
        or 0
    )
    left = int(earned["ready"] or 0) - int(spent)
    return Balance(
        currency=currency,
        available=max(0, left),
        pending=int(earned["held"] or 0),
        owed=max(0, -left),
    )


def credit_account_find(*, artist: Artist, email: str) -> CreditAccount | None:
    return CreditAccount.objects.filter(artist=artist, email=email_normalise(email)).first()


def credit_available(*, artist: Artist, email: str, now: datetime | None = None) -> int:
    """Credit ``email`` may spend with ``artist`` now (0 without an account)."""
    account = credit_account_find(artist=artist, email=email)
    return credit_balance(account=account, now=now).available if account else 0


@dataclass
class LedgerLine:
    entry: CreditEntry
    status: str  # pending, available, spent, returned, reversed, voided


@dataclass
class FanCredit:
    """One artist's credit in a fan's library."""

    account: CreditAccount
    balance: Balance
    lines: list[LedgerLine] = field(default_factory=list)


def entry_status(entry: CreditEntry, *, now: datetime) -> str:
    """How an entry reads in the ledger now."""
    if entry.kind == CreditEntry.Kind.EARNED:
        cancelled = getattr(entry, "cancelled_by", None)
        if cancelled is not None:
            return str(cancelled.kind)
        return "available" if entry.available_at and entry.available_at <= now else "pending"
    if entry.kind == CreditEntry.Kind.SPENT:
        state = entry.order.state if entry.order else ""
        return "returned" if state in SPEND_RETURNED_STATES else "spent"
    return str(entry.kind)


def fan_credits(*, email: str, now: datetime | None = None) -> list[FanCredit]:
    """Every artist the fan has credit with: balance and ledger, newest first."""
    now = now or timezone.now()
    found = []
    accounts = CreditAccount.objects.filter(email=email_normalise(email)).select_related("artist")
    for account in accounts.order_by("artist__name"):
        entries = (
            CreditEntry.objects.filter(account=account)
            .select_related("order", "referral__order", "cancelled_by", "cancels")
            .order_by("-created_at", "-pk")
        )
        lines = [LedgerLine(entry=e, status=entry_status(e, now=now)) for e in entries]
        found.append(
            FanCredit(
                account=account, balance=credit_balance(account=account, now=now), lines=lines
            )
        )
    return found


def fan_release_rewards(*, email: str) -> QuerySet[ReleaseReward]:
    """Release rewards the fan may still choose (earned, hold over or not)."""
    return ReleaseReward.objects.filter(
        email=email_normalise(email), state=ReleaseReward.State.EARNED
    ).select_related("artist")


@dataclass(frozen=True)
class Promoter:
    email: str
    referred: int
    sales_minor: int
    credit_minor: int


def top_promoters(*, artist: Artist, is_test: bool = False, limit: int = 20) -> list[Promoter]:
    """The fans whose links brought the most counted sales: real orders and table sales,
    or test orders only (``is_test``: the shop is in test mode)."""
    made = Q(order__is_test=is_test)
    if not is_test:
        made |= Q(order__isnull=True)  # merch-table sales are never test sales
    rows = (
        Referral.objects.filter(made, artist=artist, state=Referral.State.COUNTED)
        .values("referrer_email")
        .annotate(
            n=Count("pk"),
            sales=Sum(Coalesce("order__items_minor", "sale_minor")),
        )
        .order_by("-n", "-sales", "referrer_email")[:limit]
    )
    credit = dict(
        CreditEntry.objects.filter(
            account__artist=artist, kind=CreditEntry.Kind.EARNED, cancelled_by__isnull=True
        )
        .values_list("account__email")
        .annotate(total=Sum("amount_minor"))
        .values_list("account__email", "total")
    )
    return [
        Promoter(
            email=row["referrer_email"],
            referred=int(row["n"]),
            sales_minor=int(row["sales"] or 0),
            credit_minor=int(credit.get(row["referrer_email"], 0) or 0),
        )
        for row in rows
    ]


def recent_referrals(*, artist: Artist, limit: int = 50) -> QuerySet[Referral]:
    """The latest referred orders, with their earned credit entry (to void one)."""
    return (
        Referral.objects.filter(artist=artist)
        .select_related("order")
        .prefetch_related("credit_entries__cancelled_by")
        .order_by("-created_at")[:limit]
    )


def release_value(release: Release) -> int:
    """What a release reward is worth when it gives ``release``: the lowest price of the
    release's digital offers on sale (the suggested price, or the minimum, for "name
    your price"); 0 when it is not sold digitally."""
    return min((_offer_value(o) for o in _digital_offers().filter(release=release)), default=0)


def _digital_offers() -> QuerySet[Offer]:
    return Offer.objects.filter(kind=Offer.Kind.DIGITAL, active=True)


def _offer_value(offer: Offer) -> int:
    if offer.pricing == Offer.Pricing.FIXED:
        return offer.price_minor
    return max(offer.minimum_minor, offer.suggested_minor or 0)


def _release_values(*, artist_id: int) -> dict[int | None, int]:
    """``release_value`` of each of the artist's releases sold digitally, in one query
    (a release missing from it is worth 0)."""
    values: dict[int | None, int] = {}
    for offer in _digital_offers().filter(release__artist_id=artist_id):
        value = _offer_value(offer)
        values[offer.release_id] = min(value, values.get(offer.release_id, value))
    return values


def spent_with_artist(*, artist: Artist, email: str, is_test: bool = False) -> int:
    """What ``email`` has paid the artist (paid or shipped orders, money not credit);
    test orders count only against test orders (``is_test``)."""
    total = Order.objects.filter(
        artist=artist,
        email__iexact=email_normalise(email),
        state__in=[OrderState.PAID, OrderState.FULFILLED],
        is_test=is_test,
    ).aggregate(n=Sum("total_minor"))["n"]
    return int(total or 0)


def library_referrals(*, email: str, now: datetime | None = None) -> dict[str, object]:
    """What the library shows of referrals: credit per band, release rewards to choose
    (each with ``choices``, the band's public releases, and ``ready``)."""
    from disquaire.fans.referrals.credit import reward_room

    now = now or timezone.now()
    rewards = list(fan_release_rewards(email=email))
    for reward in rewards:
        # Only the releases whose value fits the band's caps now (a read: the choice is
        # checked again under the account's lock).
        account = credit_account_find(artist=reward.artist, email=email)
        room = (
            reward_room(
                account=account,
                rules=referral_settings_for(reward.artist),
                is_test=False,
                now=now,
            )
            if account is not None
            else None
        )
        values = _release_values(artist_id=reward.artist_id) if room is not None else {}
        reward.choices = [  # type: ignore[attr-defined]
            r
            for r in Release.objects.filter(artist_id=reward.artist_id).order_by("title")
            if r.is_public and (room is None or values.get(r.pk, 0) <= room)
        ]
        reward.ready = reward.available_at <= now  # type: ignore[attr-defined]
    return {"credits": fan_credits(email=email, now=now), "rewards": rewards}
