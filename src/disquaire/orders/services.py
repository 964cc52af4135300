"""Every write to orders and payments: the API other rooms call.

Split by what it serves: ``stock`` (holding and selling units under row locks),
``refunds`` (pending first, then made once at the provider), ``transitions`` (state
tables and the audit log); this module composes them and re-exports what others use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist
from disquaire.core.queries import Compiled, insert_row, insert_rows
from disquaire.orders.errors import OrderError, SoldOut, TransitionError
from disquaire.orders.models import (
    PAYMENT_TRANSITIONS,
    Order,
    OrderLine,
    OrderState,
    Payment,
    PaymentState,
    Refund,
    Reservation,
)
from disquaire.orders.refunds import (
    payment_refund,
    payment_refunded_by_provider,
    refund_execute,
    refund_open,
    refunds_retry_pending,
)
from disquaire.orders.signals import order_flagged
from disquaire.orders.stock import (
    holds_valid,
    order_reservations,
    reservations_consume,
    reservations_consume_held,
    reservations_release,
    stock_check,
    stock_lock,
    units_held,
)
from disquaire.orders.tasks import order_receipt_task
from disquaire.orders.transitions import audit_batch, audit_log, order_move, payment_move
from disquaire.selling.models import Offer, OfferOption

logger = logging.getLogger(__name__)

# Re-exported: the public API of the orders room is this module.
__all__ = [
    "Address",
    "LineSpec",
    "OrderError",
    "SoldOut",
    "TransitionError",
    "order_cancel",
    "order_create",
    "order_create_paying",
    "order_flag",
    "order_fulfil",
    "order_paid_free",
    "order_receipt_send_once",
    "payment_confirm",
    "payment_create",
    "payment_fail",
    "payment_manual_mark_paid",
    "payment_refund",
    "payment_refunded_by_provider",
    "payment_started",
    "receipt_enqueue",
    "refund_execute",
    "refunds_retry_pending",
    "reservations_expire",
    "units_held",
]


@dataclass(frozen=True)
class LineSpec:
    """One line to put in a new order; the price was computed by the shop, never the client."""

    offer: Offer
    option: OfferOption | None
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True)
class Address:
    name: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""


# --- orders ------------------------------------------------------------------------------


def order_create(
    *,
    artist: Artist,
    email: str,
    lines: Sequence[LineSpec],
    shipping_minor: int = 0,
    address: Address | None = None,
    vat_note: str = "",
    language: str = "",
    mailing_list_opt_in: bool = False,
    actor: str = "buyer",
    referrer: str = "",
    campaign: str = "",
) -> Order:
    """Create a pending order and hold its units until it is paid or expires.

    Raises SoldOut (nothing written) when a unit is not there any more.
    """
    order, _payment = _order_create(
        artist=artist,
        email=email,
        lines=lines,
        shipping_minor=shipping_minor,
        address=address,
        vat_note=vat_note,
        language=language,
        mailing_list_opt_in=mailing_list_opt_in,
        actor=actor,
        referrer=referrer,
        campaign=campaign,
        provider="",
    )
    return order


def order_create_paying(
    *, provider: str, started: bool = False, **kwargs: Any
) -> tuple[Order, Payment]:
    """``order_create`` and ``payment_create`` in one transaction (one commit, not three).

    ``started``: the provider's payment page is ours (test, manual), so the buyer is
    there as soon as the payment exists: it is created pending (``payment_started``,
    with ``<provider>-<order code>`` as its reference), in the same transaction.
    """
    order, payment = _order_create(provider=provider, started=started, **kwargs)
    assert payment is not None
    return order, payment


def _order_create(
    *,
    artist: Artist,
    email: str,
    lines: Sequence[LineSpec],
    shipping_minor: int = 0,
    address: Address | None = None,
    vat_note: str = "",
    language: str = "",
    mailing_list_opt_in: bool = False,
    actor: str = "buyer",
    referrer: str = "",
    campaign: str = "",
    provider: str,
    started: bool = False,
    is_test: bool = False,
) -> tuple[Order, Payment | None]:
    if not lines:
        raise OrderError(_("Your cart is empty."))
    for spec in lines:
        if spec.offer.artist_id != artist.pk:
            raise OrderError("an order holds the offers of one artist")
        if spec.quantity < 1 or spec.unit_price_minor < 0:
            raise OrderError("bad line")
    address = address or Address()
    now = timezone.now()
    expires = now + timedelta(minutes=settings.DISQUAIRE_RESERVATION_MINUTES)
    items = sum(spec.unit_price_minor * spec.quantity for spec in lines)
    with transaction.atomic(), audit_batch() as audit_flush:
        order = Order(
            artist=artist,
            currency=artist.currency,
            email=email,
            items_minor=items,
            shipping_minor=shipping_minor,
            total_minor=items + shipping_minor,
            vat_note=vat_note,
            ship_name=address.name,
            ship_address=address.address,
            ship_postcode=address.postcode,
            ship_city=address.city,
            ship_country=address.country,
            language=language,
            mailing_list_opt_in=mailing_list_opt_in,
            expires_at=expires,
            referrer=referrer[:200],
            campaign=campaign[:60],
            is_test=is_test,
        )
        insert_row(order)
        created = [
            OrderLine(
                order=order,
                offer=spec.offer,
                option=spec.option,
                release=spec.offer.release,
                track=spec.offer.track,
                title=spec.offer.title,
                option_label=spec.option.label if spec.option else "",
                quantity=spec.quantity,
                unit_price_minor=spec.unit_price_minor,
                total_minor=spec.unit_price_minor * spec.quantity,
                ships=spec.offer.ships,
                includes_download=spec.offer.includes_download,
            )
            for spec in lines
        ]
        for line in created:
            insert_row(line)
        audit_log(
            action="order.create",
            obj=order,
            order=order,
            actor=actor,
            to_state=order.state,
            data={"total_minor": order.total_minor, "currency": order.currency}
            | ({"test": True} if is_test else {}),
        )
        payment = None
        if provider:
            ref = f"{provider}-{order.code}" if started else ""
            payment = payment_create(order=order, provider=provider, actor=actor, started_ref=ref)
        audit_flush()
        # The stock rows are locked last, so other buyers wait only for the check, the
        # hold and the commit (SoldOut rolls the whole order back).
        offers, options = stock_lock(
            (spec.offer.pk, spec.option.pk if spec.option else None) for spec in lines
        )
        stock_check(
            [
                (offers[s.offer.pk], options[s.option.pk] if s.option else None, s.quantity)
                for s in lines
            ],
            now,
        )
        insert_rows(
            [
                Reservation(
                    line=line,
                    offer=spec.offer,
                    option=spec.option,
                    quantity=spec.quantity,
                    expires_at=expires,
                )
                for spec, line in zip(lines, created, strict=True)
            ]
        )
    return order, payment


def order_cancel(*, order: Order, actor: str, reason: str = "") -> Order:
    """Cancel an unpaid order and put its units back on sale."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        order_move(
            order, OrderState.CANCELLED, actor=actor, action="order.cancel", data={"reason": reason}
        )
        reservations_release(order)
    return order


def order_fulfil(*, order: Order, actor: str) -> Order:
    """The band shipped the parcel (or otherwise delivered): paid → fulfilled."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        order_move(order, OrderState.FULFILLED, actor=actor, action="order.fulfil")
    return order


def order_flag(*, order: Order, note: str, actor: str) -> None:
    """Ask the band to look at an order (shown in the admin's "needs attention" filter)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        order.needs_attention = True
        order.attention_note += note.rstrip() + "\n"
        order.save(update_fields=["needs_attention", "attention_note", "updated_at"])
        entry = audit_log(
            action="order.flag", obj=order, order=order, actor=actor, data={"note": note}
        )
        # The audit entry names this flag (inside an audit batch it has no id yet).
        key = f"flag-{entry.pk}" if entry.pk else f"flag-{order.pk}-{timezone.now().timestamp()}"
        order_flagged.send(sender=Order, order=order, note=note, key=key)


def reservations_expire(*, now: datetime | None = None) -> int:
    """Periodic job: pending orders past their hold expire and their units go back on sale.

    Rows another transaction holds (a payment being confirmed right now) are skipped and
    looked at again next run. Returns the number of orders expired.
    """
    now = now or timezone.now()
    count = 0
    due = Order.objects.filter(state=OrderState.PENDING, expires_at__lte=now).values_list(
        "pk", flat=True
    )
    for pk in list(due[:500]):
        with transaction.atomic():
            order = (
                Order.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=OrderState.PENDING)
                .first()
            )
            if order is None:
                continue
            order_move(order, OrderState.EXPIRED, actor="system", action="order.expire")
            reservations_release(order)
            count += 1
    return count


# --- payments ----------------------------------------------------------------------------


def payment_create(
    *, order: Order, provider: str, actor: str = "buyer", started_ref: str = ""
) -> Payment:
    """A payment of ``order``'s total; already pending (``payment_started``) under the
    reference ``started_ref`` when one is given (a provider whose page is ours)."""
    state = PaymentState.PENDING if started_ref else PaymentState.CREATED
    payment = Payment(
        order=order,
        provider=provider,
        amount_minor=order.total_minor,
        currency=order.currency,
        state=state,
        provider_ref=started_ref,
    )
    insert_row(payment)
    audit_log(
        action="payment.create",
        obj=payment,
        order=order,
        actor=actor,
        to_state=PaymentState.CREATED,
        data={"provider": provider, "amount_minor": payment.amount_minor},
    )
    if started_ref:
        audit_log(
            action="payment.start",
            obj=payment,
            order=order,
            actor=actor,
            from_state=PaymentState.CREATED,
            to_state=PaymentState.PENDING,
            data={"provider_ref": started_ref},
        )
    return payment


def payment_started(*, payment: Payment, provider_ref: str = "", actor: str = "provider") -> None:
    """The provider has the buyer now (a Stripe session exists): created → pending.

    One conditional UPDATE (``state = created``) is the lock, the check and the write:
    of two calls at once, one moves the payment and writes the audit entry, the other
    finds it moved already and does nothing.
    """
    if PaymentState.PENDING not in PAYMENT_TRANSITIONS[PaymentState.CREATED]:
        raise TransitionError("payments do not go from created to pending")
    with transaction.atomic():
        moved = Payment.objects.filter(pk=payment.pk, state=PaymentState.CREATED).update(
            state=PaymentState.PENDING, provider_ref=provider_ref
        )
        if not moved:
            return
        audit_log(
            action="payment.start",
            obj=payment,
            order=None,
            order_id=payment.order_id,
            actor=actor,
            from_state=PaymentState.CREATED,
            to_state=PaymentState.PENDING,
            data={"provider_ref": provider_ref},
        )
    payment.state, payment.provider_ref = PaymentState.PENDING, provider_ref


def payment_fail(*, payment: Payment, actor: str, canceled: bool = False, reason: str = "") -> None:
    """The provider says this attempt will not be paid (declined, or the session expired).

    The order stays pending: the buyer may try again until its hold runs out.
    """
    to = PaymentState.CANCELED if canceled else PaymentState.FAILED
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.state not in (PaymentState.CREATED, PaymentState.PENDING):
            return
        payment_move(payment, to, actor=actor, action=f"payment.{to}", data={"reason": reason})


# The payment and its order, both locked, in one statement compiled once.
_PAYMENT_LOCKED = Compiled(
    lambda pk: Payment.objects.select_for_update().select_related("order").filter(pk=pk)
)
_PAYMENT_OF_PROVIDER_LOCKED = Compiled(
    lambda pk, provider: (
        Payment.objects.select_for_update().select_related("order").filter(pk=pk, provider=provider)
    )
)


def payment_confirm(
    *,
    payment: Payment,
    actor: str = "provider",
    data: dict[str, Any] | None = None,
    provider: str = "",
) -> Payment:
    """The money is there: mark the payment confirmed and the order paid. Idempotent.

    Locks the payment row (read here, with its order: ``payment`` may be an unsaved
    ``Payment(pk=…)``; ``provider``, when given, must be its provider, else
    ``Payment.DoesNotExist``) and returns that locked copy; returns quietly if it is
    already confirmed (a webhook delivered twice). If the order's hold expired and its
    units were sold meanwhile, the order is cancelled and the payment refunded through
    the provider (or flagged for the band when the provider cannot refund): a unit is
    never sold twice. The refund is written down
    (pending) in the same transaction, so a crash before the provider answers loses
    nothing: a redelivery or the periodic ``refunds_retry_pending`` carries it out.
    """
    refund_ids: list[int] = []
    with transaction.atomic(), audit_batch() as audit_flush:
        # The payment and its order, both locked, in one statement.
        found = (
            _PAYMENT_OF_PROVIDER_LOCKED.one(pk=payment.pk, provider=provider)
            if provider
            else _PAYMENT_LOCKED.one(pk=payment.pk)
        )
        if found is None:
            raise Payment.DoesNotExist(f"payment {payment.pk} ({provider or 'any provider'})")
        payment = found
        if payment.state in (PaymentState.CONFIRMED, PaymentState.REFUNDED):
            refund_ids = list(
                payment.refunds.filter(state=Refund.State.PENDING).values_list("pk", flat=True)
            )
        else:
            order = payment.order
            payment_move(
                payment, PaymentState.CONFIRMED, actor=actor, action="payment.confirm", data=data
            )
            refund_reason = ""
            order_id = order.pk
            queued: list[int] = []

            def before_stock(sold: bool) -> None:
                audit_flush()
                if sold and _receipts_queue_in_transaction():
                    # The receipt's task row commits with the sale, or neither does
                    # (before the edition's counter is locked, not under it).
                    order_receipt_task.enqueue(order_id=order_id)
                    queued.append(order_id)

            if order.state in (OrderState.PENDING, OrderState.EXPIRED):
                if _order_sell(order, actor=actor, before_stock=before_stock):
                    if not queued:
                        transaction.on_commit(lambda: receipt_enqueue(order_id=order_id))
                else:
                    order_move(
                        order,
                        OrderState.CANCELLED,
                        actor="system",
                        action="order.sold_out_after_expiry",
                    )
                    refund_reason = "sold out after the hold expired"
            else:
                # Paid twice (two tabs, two providers) or paid after a cancel: give it back.
                refund_reason = f"order already {order.state}"
            if refund_reason and payment.amount_minor > 0:
                refund = refund_open(
                    payment=payment,
                    amount_minor=payment.amount_minor,
                    reason=refund_reason,
                    actor="system",
                )
                refund_ids = [refund.pk]
    for refund_id in refund_ids:
        refund_execute(refund_id=refund_id, actor="system")
    if refund_ids:
        payment.refresh_from_db()
    return payment


def _order_sell(order: Order, *, actor: str, before_stock: Callable[[bool], None]) -> bool:
    """Order → paid and its holds → sold, inside payment confirmation's transaction;
    False (nothing written) when a unit is gone.

    The usual case — every hold valid for a while yet — writes the sale first and takes
    the stock rows (numbered editions only) last: buyers of a limited edition queue
    behind each other only for the numbering and the commit. Otherwise the careful way:
    stock rows locked first, lapsed holds counted again. ``before_stock(sold)`` is called
    before any stock row is touched (the audit entries go in then, not under the lock);
    ``sold`` is True when the sale is already written (the usual case).
    """
    reservations = order_reservations(order)
    if order.state == OrderState.PENDING and holds_valid(reservations, timezone.now()):
        order_move(order, OrderState.PAID, actor=actor, action="order.paid")
        before_stock(True)
        reservations_consume_held(reservations, order=order)
        return True
    before_stock(False)
    if not reservations_consume(order):
        return False
    order_move(order, OrderState.PAID, actor=actor, action="order.paid")
    return True


def payment_manual_mark_paid(*, payment: Payment, actor: str) -> Payment:
    """The band received the bank transfer or the cash."""
    if payment.provider != "manual":
        raise OrderError("only manual payments are marked paid by hand")
    return payment_confirm(payment=payment, actor=actor, data={"manual": True})


def order_paid_free(*, order: Order, actor: str = "buyer") -> Payment:
    """A free order (total 0) is paid at once, through the same confirmation path."""
    if order.total_minor != 0:
        raise OrderError("only a free order skips payment")
    payment = payment_create(order=order, provider="free", actor=actor)
    return payment_confirm(payment=payment, actor=actor, data={"free": True})


def _receipts_queue_in_transaction() -> bool:
    """True when tasks are rows of this database (django-tasks-db): a receipt queued in
    the sale's own transaction is then kept exactly when the sale is."""
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    return isinstance(order_receipt_task.get_backend(), DatabaseBackend) and (
        router.db_for_write(DBTaskResult) == router.db_for_write(Order)
    )


def receipt_enqueue(*, order_id: int) -> None:
    """Queue the receipt of a paid order (called after commit)."""
    try:
        order_receipt_task.enqueue(order_id=order_id)
    except Exception:
        # The sale stands even if the queue is unavailable; the order page has it all.
        logger.exception("receipt for order %s not queued", order_id)


def order_receipt_send_once(*, order_id: int) -> bool:
    """Send the receipt unless already sent; record the error on the order if it fails."""
    from disquaire.orders.emails import order_receipt_send

    claimed = Order.objects.filter(
        pk=order_id, receipt_sent_at__isnull=True, state__in=[OrderState.PAID, OrderState.FULFILLED]
    ).update(receipt_sent_at=timezone.now(), receipt_error="")
    if not claimed:
        return False
    try:
        order_receipt_send(order=Order.objects.select_related("artist").get(pk=order_id))
    except Exception as exc:
        logger.exception("receipt for order %s not sent", order_id)
        Order.objects.filter(pk=order_id).update(
            receipt_sent_at=None,
            receipt_error=str(exc)[:500],
            receipt_attempts=F("receipt_attempts") + 1,
            receipt_tried_at=timezone.now(),
        )
        return False
    return True


# A receipt not sent (the mail server refused it, or its task was lost) is tried again
# this long after the payment, then after each failure twice as long as before.
RECEIPT_RETRY_FIRST = timedelta(minutes=5)
RECEIPT_MAX_ATTEMPTS = 7  # 5, 10, 20, 40, 80, 160 minutes: about five hours in all
RECEIPT_RETRY_WITHIN = timedelta(days=3)


def receipts_retry(*, now: datetime | None = None) -> int:
    """Periodic job: send the receipts of paid orders that still have none, when due.

    Covers a mail server that was down (each failure doubles the wait) and a receipt
    whose task never ran. Sending claims the order first, so a receipt is never sent
    twice even if its original task runs at the same time. Returns how many were sent.
    """
    now = now or timezone.now()
    candidates = Order.objects.filter(
        state__in=[OrderState.PAID, OrderState.FULFILLED],
        receipt_sent_at__isnull=True,
        receipt_attempts__lt=RECEIPT_MAX_ATTEMPTS,
        paid_at__lte=now - RECEIPT_RETRY_FIRST,
        paid_at__gte=now - RECEIPT_RETRY_WITHIN,
    ).values_list("pk", "paid_at", "receipt_attempts", "receipt_tried_at")
    sent = 0
    for pk, paid_at, attempts, tried_at in list(candidates.order_by("paid_at")[:100]):
        due = (tried_at or paid_at) + RECEIPT_RETRY_FIRST * 2 ** max(0, attempts - 1)
        if due <= now and order_receipt_send_once(order_id=pk):
            sent += 1
    return sent
