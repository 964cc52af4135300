"""Earning rewards: the account lock, the band's rules and caps, online and table sales.

Every reward is written under the referrer's ``CreditAccount`` row lock (lock → check →
write): the caps (the band's monthly cap per fan, and "never more than the fan has
spent with the band") are computed from the ledger after the lock is taken, so two
rewards earned or used at the same moment cannot both pass a cap that has room for one.
What counts against the caps (``rewarded_since``) is every kind of reward: credit
earned and not taken back, and the value of the release rewards already chosen.

A merch-table sale counts as a referral when the buyer's QR code of a fan's share link
is scanned there (``referral_sale_record``, called by the table room when it records
the sale). Same rules as online, with these differences: the buyer must give an address
(without one nothing tells the buyer from the referrer); a sale paid by bank transfer
counts when the band marks the money received (``referral_sale_paid``); a sale taken
back cancels its reward (``reversals.referral_sale_cancel``). Its credit waits for the
band's holding period like any other: cash cannot be refunded online, but a table sale
can still be taken back at the next show, and one rule is easier to explain to fans.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from disquaire.core.addresses import email_normalise
from disquaire.core.money import Money
from disquaire.core.queries import Compiled
from disquaire.fans.referrals.models import (
    CreditAccount,
    CreditEntry,
    Referral,
    ReferralSettings,
    ReleaseReward,
    ShareLink,
)
from disquaire.fans.referrals.selectors import spent_with_artist
from disquaire.orders.models import Order, Payment, PaymentState


class CreditError(ValueError):
    """Credit that cannot be spent or changed; the message is for a person."""


# --- accounts: the row every credit change locks -------------------------------------------


def _account(*, artist_id: int, email: str) -> CreditAccount:
    # Created at the same moment by another request: its insert fails on the unique key
    # (in a savepoint of its own) and get_or_create reads the row back.
    account, _created = CreditAccount.objects.get_or_create(
        artist_id=artist_id, email=email_normalise(email)
    )
    return account


def account_lock(*, artist_id: int, email: str) -> CreditAccount:
    """The fan's account with this artist, created if need be and locked (call inside
    a transaction): every earning and spending queues here."""
    account = _account(artist_id=artist_id, email=email)
    return CreditAccount.objects.select_for_update().select_related("artist").get(pk=account.pk)


# --- caps --------------------------------------------------------------------------------


def _month_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def rewarded_since(account: CreditAccount, since: datetime | None = None) -> int:
    """Every reward the fan got (since ``since``, or ever): credit earned and not taken
    back, plus the value of the release rewards chosen (when chosen)."""
    entries = CreditEntry.objects.filter(
        account=account, kind=CreditEntry.Kind.EARNED, cancelled_by__isnull=True
    )
    rewards = ReleaseReward.objects.filter(
        artist_id=account.artist_id, email=account.email, state=ReleaseReward.State.USED
    )
    if since is not None:
        entries = entries.filter(created_at__gte=since)
        rewards = rewards.filter(used_at__gte=since)
    credit = entries.aggregate(n=Sum("amount_minor"))["n"]
    chosen = rewards.aggregate(n=Sum("value_minor"))["n"]
    return int(credit or 0) + int(chosen or 0)


def reward_room(
    *, account: CreditAccount, rules: ReferralSettings, is_test: bool, now: datetime
) -> int | None:
    """How much more the fan may be rewarded now under the band's caps (None: no cap).
    Call with the account locked."""
    room: int | None = None
    if rules.monthly_cap_minor:
        room = max(0, rules.monthly_cap_minor - rewarded_since(account, _month_start(now)))
    if rules.cap_to_spent:
        spent = spent_with_artist(artist=account.artist, email=account.email, is_test=is_test)
        left = max(0, spent - rewarded_since(account))
        room = left if room is None else min(room, left)
    return room


# --- earning -----------------------------------------------------------------------------


def _fingerprints(payments: list[Payment]) -> set[str]:
    return {
        str(p.provider_data.get("card_fingerprint"))
        for p in payments
        if isinstance(p.provider_data, dict) and p.provider_data.get("card_fingerprint")
    }


def _same_card(*, order: Order, referrer_email: str) -> bool:
    """The order was paid with a card the referrer has paid with (Stripe's card
    fingerprint, when the provider recorded one on the payment)."""
    mine = _fingerprints(
        list(order.payments.filter(state=PaymentState.CONFIRMED).only("provider_data"))
    )
    if not mine:
        return False
    return (
        Payment.objects.filter(
            order__email__iexact=referrer_email,
            state=PaymentState.CONFIRMED,
            provider_data__card_fingerprint__in=sorted(mine),
        )
        .exclude(order=order)
        .exists()
    )


def _refuse(referral: Referral, refusal: str) -> Referral:
    referral.state, referral.refusal = Referral.State.REFUSED, refusal
    referral.save(update_fields=["state", "refusal"])
    return referral


def _reward(
    *,
    referral: Referral,
    rules: ReferralSettings,
    amount_minor: int,
    currency: str,
    is_test: bool,
    now: datetime,
) -> Referral:
    """Count a locked, open referral whose checks passed: lock the referrer's account,
    earn credit within the caps, and maybe a release of their choice."""
    account = account_lock(artist_id=referral.artist_id, email=referral.referrer_email)
    amount = Money(amount_minor, currency).share(rules.credit_basis_points).minor
    room = reward_room(account=account, rules=rules, is_test=is_test, now=now)
    if room is not None:
        amount = min(amount, room)
    available_at = now + timedelta(days=rules.hold_days)
    if amount > 0:
        CreditEntry.objects.create(
            account=account,
            kind=CreditEntry.Kind.EARNED,
            amount_minor=amount,
            currency=currency,
            referral=referral,
            available_at=available_at,
            actor="system",
        )
    referral.state = Referral.State.COUNTED
    referral.save(update_fields=["state"])
    if rules.free_release_after:
        counted = Referral.objects.filter(
            artist_id=referral.artist_id,
            referrer_email=referral.referrer_email,
            state=Referral.State.COUNTED,
        ).count()
        # The reward is a right to choose: its value is checked against the caps when
        # the fan chooses (``release_reward_use``), under the same lock.
        if counted % rules.free_release_after == 0:
            ReleaseReward.objects.create(
                artist_id=referral.artist_id,
                email=referral.referrer_email,
                referral=referral,
                available_at=available_at,
            )
    return referral


def _rules_refusal(rules: ReferralSettings | None, amount_minor: int) -> str:
    if rules is None or not rules.enabled:
        return "off"
    if amount_minor <= 0 or amount_minor < rules.minimum_order_minor:
        return "minimum"
    return ""


def _count(
    *,
    referral: Referral,
    amount_minor: int,
    currency: str,
    is_test: bool,
    now: datetime,
    order: Order | None = None,
) -> Referral:
    """Count a locked, open referral of a sale of ``amount_minor`` with the band's
    rules, the same online and at the table: refused (with why) when they are off, the
    sale under their minimum or, for an ``order``, paid with the referrer's own card;
    rewarded otherwise."""
    rules = ReferralSettings.objects.filter(artist_id=referral.artist_id).first()
    refusal = _rules_refusal(rules, amount_minor)
    if (
        not refusal
        and order is not None
        and _same_card(order=order, referrer_email=referral.referrer_email)
    ):
        refusal = "self:card"
    if refusal or rules is None:
        return _refuse(referral, refusal)
    return _reward(
        referral=referral,
        rules=rules,
        amount_minor=amount_minor,
        currency=currency,
        is_test=is_test,
        now=now,
    )


# The order's referral in a state, locked. Asked at every payment and every refund (most
# orders came through no share link): compiled once.
ORDER_REFERRAL_LOCKED = Compiled(
    lambda order_id, state: (
        Referral.objects.select_for_update().filter(order_id=order_id, state=state).order_by()[:1]
    )
)


def referral_on_paid(*, order: Order, now: datetime | None = None) -> Referral | None:
    """The referred order is paid: count the referral and reward the referrer, within
    the band's rules. Runs inside the transaction that marks the order paid."""
    now = now or timezone.now()
    referral = ORDER_REFERRAL_LOCKED.one(order_id=order.pk, state=Referral.State.OPEN.value)
    if referral is None:
        return None
    return _count(
        referral=referral,
        amount_minor=order.items_minor,
        currency=order.currency,
        is_test=order.is_test,
        now=now,
        order=order,
    )


# --- sales made elsewhere (the merch table) ------------------------------------------------


def _sale_count(*, referral: Referral, now: datetime) -> Referral:
    return _count(
        referral=referral,
        amount_minor=referral.sale_minor,
        currency=referral.sale_currency,
        is_test=False,
        now=now,
    )


def referral_sale_record(
    *,
    artist_id: int,
    sale_ref: str,
    code: str,
    buyer_email: str,
    amount_minor: int,
    currency: str,
    paid: bool,
    label: str = "",
    source: str = "table",
    now: datetime | None = None,
) -> Referral | None:
    """A sale made outside the web shop (``sale_ref``, e.g. ``"table:<id>"``) where the
    buyer showed the fan's share ``code``: record the referral once and, when ``paid``,
    count it with the online rules (see the module). Call inside the transaction that
    records the sale. Returns the referral (refused ones too, with why), or None when
    the code is not one of this artist's links. Recording the same sale again returns
    the first referral, unchanged."""
    now = now or timezone.now()
    code = (code or "").strip()
    if not sale_ref or not code or len(sale_ref) > 64:
        return None
    if amount_minor < 0 or len(currency) != 3:
        raise CreditError("a sale needs an amount and a currency")
    link = ShareLink.objects.filter(code=code, artist_id=artist_id).first()
    if link is None:
        return None
    found = Referral.objects.filter(sale_ref=sale_ref).first()
    if found is not None:
        return found
    buyer = email_normalise(buyer_email or "")
    why = "" if buyer else "no-address"
    if buyer and buyer == link.email:
        why = "self:email"
    with transaction.atomic():
        referral = Referral.objects.create(
            sale_ref=sale_ref,
            sale_minor=amount_minor,
            sale_currency=currency.upper(),
            sale_label=label[:200],
            buyer_email=buyer,
            link=link,
            artist_id=artist_id,
            referrer_email=link.email,
            source=source[:10],
            visited_at=now,
            state=Referral.State.REFUSED if why else Referral.State.OPEN,
            refusal=why,
        )
        if paid and not why:
            # Just written in this transaction: no other one sees the row, nothing to lock.
            _sale_count(referral=referral, now=now)
    return referral


def referral_sale_paid(*, sale_ref: str, now: datetime | None = None) -> Referral | None:
    """The money of a recorded sale came in (a bank transfer seen by the band): its open
    referral counts now. Does nothing for an unknown sale or one already counted."""
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update()
            .filter(sale_ref=sale_ref, state=Referral.State.OPEN)
            .first()
        )
        if referral is None:
            return None
        return _sale_count(referral=referral, now=now or timezone.now())
