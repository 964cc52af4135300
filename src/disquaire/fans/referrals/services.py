"""Referral rewards and store credit: every write.

A fan shares their personal link to a release (``share_link_for``); a visit through it
leaves a first-touch cookie for 30 days (``REFERRAL_WINDOW``). An order checked out
with it gets a ``Referral`` (``referral_attach``), refused at once when the buyer is the
referrer by address, fan account or device cookie. When the order is paid
(``referral_on_paid``, inside the payment's transaction) the referral counts if the band
has rewards on, the order reaches the minimum, the card is not the referrer's, and the
caps leave room: the referrer earns credit, usable after the band's holding period, and
maybe a release of their choice. A refund reverses it (``referral_on_refunded``); the
band may void it with a reason (``credit_void``, audited).

Credit is spent at checkout (``credit_order_create``): the fan's account row is locked,
the balance checked, the order written with the credit taken off its total and the
spend appended, in one transaction — two checkouts at once cannot spend it twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist, Release
from disquaire.core.addresses import email_normalise
from disquaire.core.audit import activity_record
from disquaire.core.money import Money
from disquaire.core.queries import Compiled, insert_rows
from disquaire.fans.referrals.models import (
    CreditAccount,
    CreditEntry,
    DeviceSeen,
    PromoterThanks,
    Referral,
    ReferralSettings,
    ReleaseReward,
    ShareLink,
)
from disquaire.fans.referrals.selectors import credit_balance, spent_with_artist
from disquaire.orders.models import Order, Payment, PaymentState
from disquaire.orders.transitions import audit_log

REFERRAL_WINDOW = timedelta(days=30)
DEVICE_RE_LENGTH = 32


class CreditError(ValueError):
    """Credit that cannot be spent or changed; the message is for a person."""


def device_new() -> str:
    """A fresh device cookie value: random, says nothing about the browser."""
    return secrets.token_hex(DEVICE_RE_LENGTH // 2)


def device_clean(value: str | None) -> str:
    """The device cookie if it looks like one of ours, else ""."""
    value = (value or "").strip()
    ok = len(value) == DEVICE_RE_LENGTH and all(c in "0123456789abcdef" for c in value)
    return value if ok else ""


# --- settings ----------------------------------------------------------------------------


SETTINGS_FIELDS = (
    "enabled", "credit_basis_points", "free_release_after", "monthly_cap_minor",
    "minimum_order_minor", "hold_days", "cap_to_spent",
)  # fmt: skip


def referral_settings_update(*, artist: Artist, actor: str, **fields: object) -> ReferralSettings:
    """Save the artist's referral rewards (created on first save); audited."""
    for name in fields:
        if name not in SETTINGS_FIELDS:
            raise TypeError(f"unknown referral setting {name!r}")
    with transaction.atomic():
        found, _created = ReferralSettings.objects.select_for_update().get_or_create(artist=artist)
        before = {name: getattr(found, name) for name in fields}
        for name, value in fields.items():
            setattr(found, name, value)
        found.save()
        audit_log(
            action="referrals.settings",
            obj=found,
            order=None,
            actor=actor,
            data={"artist": artist.pk, "before": before, "after": dict(fields)},
        )
    return found


# --- share links and visits --------------------------------------------------------------


def share_link_for(*, email: str, release: Release) -> ShareLink:
    """The fan's personal link to ``release`` (made on first ask, the same ever after)."""
    address = email_normalise(email)
    found = ShareLink.objects.filter(email=address, release=release).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return ShareLink.objects.create(
                email=address, release=release, artist_id=release.artist_id
            )
    except IntegrityError:
        return ShareLink.objects.get(email=address, release=release)


def device_seen(*, email: str, device: str) -> None:
    """Remember that ``device`` was used by ``email`` (its own checkouts and visits)."""
    address, device = email_normalise(email), device_clean(device)
    if not address or not device:
        return
    # One statement, no transaction of its own: a pair already seen (before, or at the
    # same moment by another request) is left as it is, with its first ``seen_at``.
    insert_rows([DeviceSeen(email=address, device=device)], ignore_conflicts=True)


def share_link_visit(*, code: str, fan_email: str = "", device: str = "") -> ShareLink | None:
    """A visit through a share link: the link (None when unknown). The referrer's own
    visit (signed in as them) only teaches us their device."""
    link = ShareLink.objects.filter(code=code).select_related("release__artist").first()
    if link is None:
        return None
    if fan_email and email_normalise(fan_email) == link.email:
        device_seen(email=link.email, device=device)
        return link
    ShareLink.objects.filter(pk=link.pk).update(visits=F("visits") + 1)
    return link


@dataclass(frozen=True)
class ReferralVisit:
    """What the buyer's browser tells the checkout: the first share link it came
    through and when, its device cookie, and the fan signed in (if any)."""

    code: str = ""
    visited_at: datetime | None = None
    device: str = ""
    fan_email: str = ""


def _self_referral(*, order: Order, link: ShareLink, visit: ReferralVisit) -> str:
    """Why the buyer is the referrer ("" when nothing says so), before payment."""
    if email_normalise(order.email) == link.email:
        return "email"
    if visit.fan_email and email_normalise(visit.fan_email) == link.email:
        return "account"
    device = device_clean(visit.device)
    if device and DeviceSeen.objects.filter(email=link.email, device=device).exists():
        return "device"
    return ""


def referral_attach(
    *,
    order: Order,
    visit: ReferralVisit,
    source: str = "link",
    now: datetime | None = None,
) -> Referral | None:
    """Tie a new order to the share link its buyer came through, if within the window.

    Called by the checkout right after the order is written. Also remembers the buyer's
    device with the order's address (and the signed-in fan's). ``source``: "link", or
    the merch table app's "table" for a fan's QR code scanned there (same rules).
    Returns the referral (refused ones too, with why), or None.
    """
    now = now or timezone.now()
    device_seen(email=order.email, device=visit.device)
    if visit.fan_email:
        device_seen(email=visit.fan_email, device=visit.device)
    if not visit.code or visit.visited_at is None:
        return None
    if not (now - REFERRAL_WINDOW <= visit.visited_at <= now):
        return None
    link = ShareLink.objects.filter(code=visit.code).first()
    if link is None or link.artist_id != order.artist_id:
        return None
    why = _self_referral(order=order, link=link, visit=visit)
    return Referral.objects.create(
        order=order,
        link=link,
        artist_id=order.artist_id,
        referrer_email=link.email,
        source=source,
        visited_at=visit.visited_at,
        buyer_device=device_clean(visit.device),
        buyer_fan_email=email_normalise(visit.fan_email),
        state=Referral.State.REFUSED if why else Referral.State.OPEN,
        refusal=f"self:{why}" if why else "",
    )


# --- accounts: the row every credit change locks -------------------------------------------


def _account(*, artist_id: int, email: str) -> CreditAccount:
    address = email_normalise(email)
    found = CreditAccount.objects.filter(artist_id=artist_id, email=address).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return CreditAccount.objects.create(artist_id=artist_id, email=address)
    except IntegrityError:
        return CreditAccount.objects.get(artist_id=artist_id, email=address)


def account_lock(*, artist_id: int, email: str) -> CreditAccount:
    """The fan's account with this artist, created if need be and locked (call inside
    a transaction): every earning and spending queues here."""
    account = _account(artist_id=artist_id, email=email)
    return CreditAccount.objects.select_for_update().select_related("artist").get(pk=account.pk)


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
    theirs = Payment.objects.filter(
        order__email__iexact=referrer_email, state=PaymentState.CONFIRMED
    ).exclude(order=order)
    return any(theirs.filter(provider_data__card_fingerprint=fp).exists() for fp in mine)


def _earned_since(account: CreditAccount, since: datetime | None = None) -> int:
    """Credit earned and not cancelled (since ``since``, or ever)."""
    entries = CreditEntry.objects.filter(
        account=account, kind=CreditEntry.Kind.EARNED, cancelled_by__isnull=True
    )
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    total = entries.aggregate(n=Sum("amount_minor"))["n"]
    return int(total or 0)


def _month_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


# Asked at every payment (most orders came through no share link): compiled once.
_OPEN_REFERRAL_LOCKED = Compiled(
    lambda order_id, state: (
        Referral.objects.select_for_update().filter(order_id=order_id, state=state).order_by()[:1]
    )
)


def referral_on_paid(*, order: Order, now: datetime | None = None) -> Referral | None:
    """The referred order is paid: count the referral and reward the referrer, within
    the band's rules. Runs inside the transaction that marks the order paid."""
    now = now or timezone.now()
    referral = _OPEN_REFERRAL_LOCKED.one(order_id=order.pk, state=Referral.State.OPEN.value)
    if referral is None:
        return None
    rules = ReferralSettings.objects.filter(artist_id=order.artist_id).first()
    refusal = ""
    if rules is None or not rules.enabled:
        refusal = "off"
    elif order.items_minor < rules.minimum_order_minor:
        refusal = "minimum"
    elif _same_card(order=order, referrer_email=referral.referrer_email):
        refusal = "self:card"
    if refusal or rules is None:
        referral.state, referral.refusal = Referral.State.REFUSED, refusal
        referral.save(update_fields=["state", "refusal"])
        return referral
    account = account_lock(artist_id=order.artist_id, email=referral.referrer_email)
    amount = Money(order.items_minor, order.currency).share(rules.credit_basis_points).minor
    if rules.monthly_cap_minor:
        month = _earned_since(account, _month_start(now))
        amount = min(amount, max(0, rules.monthly_cap_minor - month))
    if rules.cap_to_spent:
        spent = spent_with_artist(
            artist=account.artist, email=referral.referrer_email, is_test=order.is_test
        )
        amount = min(amount, max(0, spent - _earned_since(account)))
    available_at = now + timedelta(days=rules.hold_days)
    if amount > 0:
        CreditEntry.objects.create(
            account=account,
            kind=CreditEntry.Kind.EARNED,
            amount_minor=amount,
            currency=order.currency,
            referral=referral,
            available_at=available_at,
            actor="system",
        )
    referral.state = Referral.State.COUNTED
    referral.save(update_fields=["state"])
    if rules.free_release_after:
        counted = Referral.objects.filter(
            artist_id=order.artist_id,
            referrer_email=referral.referrer_email,
            state=Referral.State.COUNTED,
        ).count()
        if counted % rules.free_release_after == 0:
            ReleaseReward.objects.create(
                artist_id=order.artist_id,
                email=referral.referrer_email,
                referral=referral,
                available_at=available_at,
            )
    return referral


def _cancel(
    *, referral: Referral, kind: str, state: str, reason: str, actor: str
) -> CreditEntry | None:
    """Append the entry cancelling the referral's earned credit (account locked first)."""
    account = account_lock(artist_id=referral.artist_id, email=referral.referrer_email)
    earned = (
        CreditEntry.objects.filter(
            account=account,
            referral=referral,
            kind=CreditEntry.Kind.EARNED,
            cancelled_by__isnull=True,
        )
        .order_by("pk")
        .first()
    )
    entry = None
    if earned is not None:
        entry = CreditEntry.objects.create(
            account=account,
            kind=kind,
            amount_minor=earned.amount_minor,
            currency=earned.currency,
            referral=referral,
            cancels=earned,
            reason=reason[:300],
            actor=actor[:200],
        )
    ReleaseReward.objects.filter(referral=referral, state=ReleaseReward.State.EARNED).update(
        state=ReleaseReward.State.CANCELLED
    )
    referral.state = state
    referral.save(update_fields=["state"])
    return entry


def referral_on_refunded(*, order: Order) -> None:
    """The referred order was refunded: its reward is reversed (inside the refund's
    transaction). Credit already spent is not taken from that order; the fan owes it
    (``Balance.owed``) and cannot spend more until it is made up."""
    referral = (
        Referral.objects.select_for_update()
        .filter(order_id=order.pk, state=Referral.State.COUNTED)
        .first()
    )
    if referral is None:
        return
    entry = _cancel(
        referral=referral,
        kind=CreditEntry.Kind.REVERSED,
        state=Referral.State.REVERSED,
        reason="order refunded",
        actor="system",
    )
    audit_log(
        action="referral.reverse",
        obj=referral,
        order=order,
        actor="system",
        from_state=Referral.State.COUNTED,
        to_state=Referral.State.REVERSED,
        data={"amount_minor": entry.amount_minor if entry else 0},
    )


def credit_void(*, referral: Referral, reason: str, actor: str) -> CreditEntry | None:
    """The band takes back a referral's reward, saying why; audited."""
    reason = (reason or "").strip()
    if not reason:
        raise CreditError(_("Please say why this credit is voided."))
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.state != Referral.State.COUNTED:
            raise CreditError(_("Only a counted referral can be voided."))
        entry = _cancel(
            referral=referral,
            kind=CreditEntry.Kind.VOIDED,
            state=Referral.State.VOIDED,
            reason=reason,
            actor=actor,
        )
        audit_log(
            action="referral.void",
            obj=referral,
            order=None,
            order_id=referral.order_id,
            actor=actor,
            from_state=Referral.State.COUNTED,
            to_state=Referral.State.VOIDED,
            data={"reason": reason, "amount_minor": entry.amount_minor if entry else 0},
        )
        activity_record(
            artist_id=referral.artist_id,
            action="referral.void",
            obj=referral,
            actor=actor,
            before={"state": Referral.State.COUNTED},
            after={"state": Referral.State.VOIDED, "reason": reason,
                   "amount_minor": entry.amount_minor if entry else 0},
        )  # fmt: skip
    return entry


# --- spending ----------------------------------------------------------------------------


def credit_order_create(
    *, artist: Artist, email: str, credit_minor: int, create: Callable[[int], Order]
) -> Order:
    """Write an order paid ``credit_minor`` by the fan's credit: lock the account, check
    the balance, ``create(credit_minor)`` the order, append the spend — one transaction.

    Raise CreditError (nothing written) when the credit is not there any more (spent in
    another tab a moment ago). Credit is spent only as the artist's currency, never
    turned into money: a refund gives it back to the account (the spend stops counting
    when the order is refunded, cancelled or expires)."""
    if credit_minor <= 0:
        return create(0)
    with transaction.atomic():
        account = account_lock(artist_id=artist.pk, email=email)
        if credit_balance(account=account).available < credit_minor:
            raise CreditError(_("Your store credit has changed: please check the total again."))
        order = create(credit_minor)
        if order.currency != artist.currency or order.credit_minor != credit_minor:
            raise CreditError("the order does not carry the credit spent")
        CreditEntry.objects.create(
            account=account,
            kind=CreditEntry.Kind.SPENT,
            amount_minor=credit_minor,
            currency=order.currency,
            order=order,
            actor="buyer",
        )
    return order


def credit_usable(*, artist: Artist, email: str, total_minor: int) -> int:
    """How much credit a checkout of ``total_minor`` would use: all of it up to the
    total (the rest paid by card), none without a balance."""
    from disquaire.fans.referrals.selectors import credit_available

    if not email or total_minor <= 0:
        return 0
    return min(total_minor, credit_available(artist=artist, email=email))


def order_paid_overdraw_check(*, order: Order) -> bool:
    """True when a late-paid order (its hold had expired, its credit came back and may
    have been spent again) leaves the fan's credit overdrawn: the band is told."""
    if not order.credit_minor:
        return False
    entry = CreditEntry.objects.filter(order=order, kind=CreditEntry.Kind.SPENT).first()
    if entry is None:
        return False
    return credit_balance(account=entry.account).owed > 0


# --- release rewards ---------------------------------------------------------------------


def release_reward_use(*, reward: ReleaseReward, release: Release, email: str) -> ReleaseReward:
    """The fan picks the release their reward gives: granted at once, once."""
    from disquaire.delivery.services import entitlement_grant

    with transaction.atomic():
        reward = ReleaseReward.objects.select_for_update().get(pk=reward.pk)
        if reward.email != email_normalise(email) or reward.state != ReleaseReward.State.EARNED:
            raise CreditError(_("This reward is no longer available."))
        if reward.available_at > timezone.now():
            raise CreditError(_("This reward becomes available after the holding period."))
        if release.artist_id != reward.artist_id:
            raise CreditError(_("Choose one of this band's releases."))
        reward.state, reward.release, reward.used_at = (
            ReleaseReward.State.USED,
            release,
            timezone.now(),
        )
        reward.save(update_fields=["state", "release", "used_at"])
        entitlement_grant(
            email=reward.email, release=release, source="free", ref=f"referral-reward:{reward.pk}"
        )
    return reward


# --- thanking promoters ------------------------------------------------------------------


def promoter_thank(
    *, artist: Artist, email: str, message: str, release: Release | None, actor: str
) -> PromoterThanks:
    """Mail a promoter the band's message, with a download code for ``release`` when
    given; the thanks is kept (and audited) as a trace."""
    from disquaire.delivery.codes import code_batch_create, code_redeem_url

    message = (message or "").strip()
    if not message:
        raise CreditError(_("Please write a message."))
    if release is not None and release.artist_id != artist.pk:
        raise CreditError(_("Choose one of this band's releases."))
    with transaction.atomic():
        batch = None
        body = message
        if release is not None:
            batch = code_batch_create(release=release, size=1, label=f"thanks {email}"[:60])
            code = batch.codes.get().code
            body += "\n\n" + _("A download code for %(release)s, with our thanks: %(url)s") % {
                "release": release.title,
                "url": code_redeem_url(batch=batch, code=code),
            }
        thanks = PromoterThanks.objects.create(
            artist=artist,
            email=email_normalise(email),
            message=message,
            code_batch=batch,
            actor=actor[:200],
        )
        audit_log(
            action="referral.thank",
            obj=thanks,
            order=None,
            actor=actor,
            data={"artist": artist.pk, "code": bool(batch)},
        )
        address = thanks.email
        subject = _("A thank-you from %(artist)s") % {"artist": artist.name}
        transaction.on_commit(
            lambda: send_mail(
                subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=True
            )
        )
    return thanks
