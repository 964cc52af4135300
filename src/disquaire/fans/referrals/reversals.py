"""Taking rewards back: a refunded order, a table sale taken back, the band's void."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from disquaire.core.audit import activity_record
from disquaire.fans.referrals.credit import ORDER_REFERRAL_LOCKED, CreditError, account_lock
from disquaire.fans.referrals.models import CreditEntry, Referral, ReleaseReward
from disquaire.orders.models import Order
from disquaire.orders.transitions import audit_log

# What a referral becomes when its reward is cancelled by an entry of this kind.
_STATE_AFTER = {
    CreditEntry.Kind.REVERSED: Referral.State.REVERSED,
    CreditEntry.Kind.VOIDED: Referral.State.VOIDED,
}


def _cancel(*, referral: Referral, kind: str, reason: str, actor: str) -> CreditEntry | None:
    """Append the entry cancelling the referral's earned credit (account locked first);
    the referral moves to the state that goes with ``kind``."""
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
    referral.state = _STATE_AFTER[CreditEntry.Kind(kind)]
    referral.save(update_fields=["state"])
    return entry


def _taken_back(entry: CreditEntry | None) -> int:
    """What a cancellation took back, for its trace: 0 when the referral earned nothing."""
    return entry.amount_minor if entry else 0


def referral_on_refunded(*, order: Order) -> None:
    """The referred order was refunded: its reward is reversed (inside the refund's
    transaction). Credit already spent is not taken from that order; the fan owes it
    (``Balance.owed``) and cannot spend more until it is made up."""
    referral = ORDER_REFERRAL_LOCKED.one(order_id=order.pk, state=Referral.State.COUNTED.value)
    if referral is None:
        return
    entry = _cancel(
        referral=referral,
        kind=CreditEntry.Kind.REVERSED,
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
        data={"amount_minor": _taken_back(entry)},
    )


def referral_sale_cancel(*, sale_ref: str, reason: str, actor: str) -> Referral | None:
    """A sale recorded outside the web shop (see ``credit.referral_sale_record``) was
    taken back: a counted referral's reward is reversed, an open one stops waiting.
    Audited; does nothing for a sale no referral names or one already settled."""
    reason = (reason or "").strip()[:300] or "sale taken back"
    with transaction.atomic():
        referral = Referral.objects.select_for_update().filter(sale_ref=sale_ref).first()
        if referral is None:
            return None
        before = referral.state
        if before == Referral.State.OPEN:
            referral.state, referral.refusal = Referral.State.REFUSED, "cancelled"
            referral.save(update_fields=["state", "refusal"])
            entry = None
        elif before == Referral.State.COUNTED:
            entry = _cancel(
                referral=referral,
                kind=CreditEntry.Kind.REVERSED,
                reason=reason,
                actor=actor,
            )
        else:
            return referral
        audit_log(
            action="referral.reverse",
            obj=referral,
            order=None,
            actor=actor,
            from_state=before,
            to_state=referral.state,
            data={"sale": sale_ref, "reason": reason,
                  "amount_minor": _taken_back(entry)},
        )  # fmt: skip
    return referral


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
            reason=reason,
            actor=actor,
        )
        if referral.order_id is not None:
            # A step of the referred order's history too (a table sale has none).
            audit_log(
                action="referral.void",
                obj=referral,
                order=None,
                order_id=referral.order_id,
                actor=actor,
                from_state=Referral.State.COUNTED,
                to_state=Referral.State.VOIDED,
                data={"reason": reason, "amount_minor": _taken_back(entry)},
            )
        activity_record(
            artist_id=referral.artist_id,
            action="referral.void",
            obj=referral,
            actor=actor,
            before={"state": Referral.State.COUNTED},
            after={"state": Referral.State.VOIDED, "reason": reason,
                   "amount_minor": _taken_back(entry)},
        )  # fmt: skip
    return entry
