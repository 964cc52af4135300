"""Referral rewards and store credit: the band's settings, spending, rewards chosen.

A fan shares their personal link to a release (``links.share_link_for``); a visit
through it leaves a first-touch cookie for 30 days (``links.REFERRAL_WINDOW``). An order
checked out with it gets a ``Referral`` (``links.referral_attach``), refused at once
when the buyer is the referrer by address, fan account or device cookie; a fan's QR code
scanned at the merch table makes one too (``credit.referral_sale_record``). When the
sale is paid the referral counts if the band has rewards on, the sale reaches the
minimum, the card is not the referrer's, and the caps leave room (``credit``): the
referrer earns credit, usable after the band's holding period, and maybe a release of
their choice. A refund reverses it; the band may void it with a reason (``reversals``).

Credit is spent at checkout (``credit_order_create``): the fan's account row is locked,
the balance checked, the order written with the credit taken off its total and the
spend appended, in one transaction — two checkouts at once cannot spend it twice.

This module keeps the room's import path: it re-exports the share-link, earning and
reversal services.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist, Release
from disquaire.core.addresses import email_normalise
from disquaire.core.audit import activity_record
from disquaire.fans.referrals.credit import (
    CreditError,
    account_lock,
    referral_on_paid,
    referral_sale_paid,
    referral_sale_record,
    reward_room,
)
from disquaire.fans.referrals.links import (
    REFERRAL_WINDOW,
    ReferralVisit,
    device_clean,
    device_new,
    device_seen,
    referral_attach,
    share_link_for,
    share_link_visit,
)
from disquaire.fans.referrals.models import (
    CreditEntry,
    PromoterThanks,
    ReferralSettings,
    ReleaseReward,
)
from disquaire.fans.referrals.reversals import (
    credit_void,
    referral_on_refunded,
    referral_sale_cancel,
)
from disquaire.fans.referrals.selectors import credit_balance, referral_settings_for, release_value
from disquaire.orders.models import Order

__all__ = [
    "REFERRAL_WINDOW", "CreditError", "ReferralVisit",
    "account_lock", "credit_order_create", "credit_usable", "credit_void", "device_clean",
    "device_new", "device_seen", "order_paid_overdraw_check", "promoter_thank",
    "referral_attach", "referral_on_paid", "referral_on_refunded", "referral_sale_cancel",
    "referral_sale_paid", "referral_sale_record", "referral_settings_update",
    "release_reward_use", "reward_room", "share_link_for",
    "share_link_visit",
]  # fmt: skip


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
        activity_record(
            artist_id=artist.pk,
            action="referrals.settings",
            obj=found,
            actor=actor,
            before=before,
            after=dict(fields),
        )
    return found


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
    """The fan picks the release their reward gives: granted at once, once, and only
    when its value (``release_value``) fits the band's caps — the monthly cap per fan
    and what the fan has spent with the band — counted with every other reward. The
    fan's account is locked first, as for earning credit (lock → check → write)."""
    from disquaire.delivery.services import entitlement_grant

    if release.artist_id != reward.artist_id:
        raise CreditError(_("Choose one of this band's releases."))
    now = timezone.now()
    with transaction.atomic():
        account = account_lock(artist_id=reward.artist_id, email=reward.email)
        reward = (
            ReleaseReward.objects.select_for_update(of=("self",))
            .select_related("referral__order")
            .get(pk=reward.pk)
        )
        if reward.email != email_normalise(email) or reward.state != ReleaseReward.State.EARNED:
            raise CreditError(_("This reward is no longer available."))
        if reward.available_at > now:
            raise CreditError(_("This reward becomes available after the holding period."))
        value = release_value(release)
        rules = referral_settings_for(account.artist)
        # A reward earned in test mode is measured against the fan's test orders.
        order = reward.referral.order
        is_test = bool(order is not None and order.is_test)
        room = reward_room(account=account, rules=rules, is_test=is_test, now=now)
        if room is not None and value > room:
            raise CreditError(
                _(
                    "This release is worth more than your rewards may reach now (the "
                    "band's monthly limit, or what you have bought from it): choose "
                    "another one, or come back later."
                )
            )
        reward.state, reward.release, reward.used_at, reward.value_minor = (
            ReleaseReward.State.USED,
            release,
            now,
            value,
        )
        reward.save(update_fields=["state", "release", "used_at", "value_minor"])
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
        activity_record(
            artist_id=artist.pk,
            action="referral.thank",
            obj=thanks,
            actor=actor,
            after={"email": thanks.email, "code": bool(batch)},
        )
        address = thanks.email
        subject = _("A thank-you from %(artist)s") % {"artist": artist.name}
        transaction.on_commit(
            lambda: send_mail(
                subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=True
            )
        )
    return thanks
