"""Every write to orders and payments: the API other rooms call.

Split by what it serves: ``stock`` (holding and selling units under row locks),
``refunds`` (pending first, then made once at the provider), ``paying`` (payments,
confirmation, receipts), ``transitions`` (state tables and the audit log); this module
creates, cancels, collects, flags and expires orders, and re-exports what others use.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.core.queries import insert_row, insert_rows, related_known
from disquaire.core.specs import called_with
from disquaire.orders.emails import pickups_retry
from disquaire.orders.errors import OrderError, SoldOut, TransitionError
from disquaire.orders.handed import order_create_handed
from disquaire.orders.items import uses_of
from disquaire.orders.models import (
    Delivery,
    Order,
    OrderLine,
    OrderState,
    Payment,
    Reservation,
)
from disquaire.orders.paying import (
    RECEIPT_MAX_ATTEMPTS,
    order_paid_free,
    order_receipt_send_once,
    payment_confirm,
    payment_create,
    payment_fail,
    payment_manual_mark_paid,
    payment_started,
    receipt_enqueue,
    receipts_retry,
)
from disquaire.orders.refunds import (
    payment_refund,
    payment_refunded_by_provider,
    refund_execute,
    refunds_retry_pending,
)
from disquaire.orders.signals import order_flagged, order_to_collect
from disquaire.orders.specs import Address, LineSpec, OrderSpec, PayingOrderSpec
from disquaire.orders.stock import (
    reservations_release,
    stock_check,
    stock_lock,
    stock_share,
    units_held,
)
from disquaire.orders.transitions import audit_batch, audit_log, order_move

logger = logging.getLogger(__name__)

# Re-exported: the public API of the orders room is this module.
__all__ = [
    "RECEIPT_MAX_ATTEMPTS",
    "Address",
    "LineSpec",
    "OrderError",
    "OrderSpec",
    "PayingOrderSpec",
    "SoldOut",
    "TransitionError",
    "order_cancel",
    "order_collect",
    "order_collect_cash",
    "order_create",
    "order_create_handed",
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
    "pickups_retry",
    "receipt_enqueue",
    "receipts_retry",
    "refund_execute",
    "refunds_retry_pending",
    "reservations_expire",
    "units_held",
]


@called_with(OrderSpec)
def order_create(spec: OrderSpec) -> Order:
    """Create a pending order and hold its units until it is paid or expires (keywords:
    ``OrderSpec``). Raises SoldOut (nothing written) when a unit is not there any more.
    """
    return _order_create(spec)[0]


@called_with(PayingOrderSpec)
def order_create_paying(spec: PayingOrderSpec) -> tuple[Order, Payment]:
    """``order_create`` and ``payment_create`` in one transaction (one commit, not three);
    keywords: ``PayingOrderSpec``."""
    order, payment = _order_create(spec)
    assert payment is not None
    return order, payment


def order_place(spec: OrderSpec) -> tuple[Order, Payment | None]:
    """``order_create`` for an ``OrderSpec``, ``order_create_paying`` for a
    ``PayingOrderSpec`` (its payment, else None), for callers that build the value."""
    return _order_create(spec)


def _order_create(spec: OrderSpec) -> tuple[Order, Payment | None]:
    paying = spec if isinstance(spec, PayingOrderSpec) else None
    provider = paying.provider if paying else ""
    started = paying.started if paying else False
    is_test = paying.is_test if paying else False
    hold = paying.hold if paying else None
    artist, lines, delivery = spec.artist, spec.lines, spec.delivery
    shipping_minor, credit_minor, actor = spec.shipping_minor, spec.credit_minor, spec.actor
    if not lines:
        raise OrderError(_("Your cart is empty."))
    for line_spec in lines:
        if line_spec.offer.artist_id != artist.pk:
            raise OrderError("an order holds the offers of one artist")
        if line_spec.quantity < 1 or line_spec.unit_price_minor < 0:
            raise OrderError("bad line")
    address = spec.address or Address()
    now = timezone.now()
    # ``hold``: the provider's own (cash on collection waits days for the fan to come).
    expires = now + (hold or timedelta(minutes=settings.DISQUAIRE_RESERVATION_MINUTES))
    if delivery not in Delivery.values:
        raise OrderError("unknown delivery")
    items = sum(line.unit_price_minor * line.quantity for line in lines)
    if not 0 <= credit_minor <= items + shipping_minor:
        raise OrderError("credit beyond the total")
    # Which items the offers use (configuration, not stock: read before any lock), and
    # whether any offer or option keeps a stock of its own (as the cart read them).
    uses = uses_of(want.offer.pk for want in lines)
    own_stock = any(
        want.offer.stock is not None or (want.option is not None and want.option.stock is not None)
        for want in lines
    )
    with transaction.atomic(), audit_batch() as audit_flush:
        order = Order(
            artist=artist,
            currency=artist.currency,
            email=spec.email,
            items_minor=items,
            shipping_minor=shipping_minor,
            credit_minor=credit_minor,
            total_minor=items + shipping_minor - credit_minor,
            vat_note=spec.vat_note,
            ship_name=address.name,
            ship_address=address.address,
            ship_postcode=address.postcode,
            ship_city=address.city,
            ship_country=address.country,
            language=spec.language,
            mailing_list_opt_in=spec.mailing_list_opt_in,
            expires_at=expires,
            referrer=spec.referrer[:200],
            campaign=spec.campaign[:60],
            is_test=is_test,
            delivery=delivery,
            pickup_place=spec.pickup_place if delivery == Delivery.PICKUP else "",
        )
        insert_row(order)
        created = [
            OrderLine(
                order=order,
                offer=want.offer,
                option=want.option,
                release=want.offer.release,
                track=want.offer.track,
                title=want.offer.title,
                option_label=want.option.label if want.option else "",
                quantity=want.quantity,
                unit_price_minor=want.unit_price_minor,
                total_minor=want.unit_price_minor * want.quantity,
                ships=want.offer.ships,
                includes_download=want.offer.includes_download,
            )
            for want in lines
        ]
        for line in created:
            insert_row(line)
        # The order carries the lines it was made with (``order.lines.all()`` reads no
        # more): the provider is told of them right after the commit.
        related_known(order, "lines", created)
        audit_log(
            action="order.create",
            obj=order,
            order=order,
            actor=actor,
            to_state=order.state,
            data={"total_minor": order.total_minor, "currency": order.currency}
            | ({"credit_minor": credit_minor} if credit_minor else {})
            | ({"test": True} if is_test else {})
            | ({"delivery": delivery} if delivery != Delivery.SHIP else {}),
        )
        payment = None
        if provider:
            ref = f"{provider}-{order.code}" if started else ""
            payment = payment_create(order=order, provider=provider, actor=actor, started_ref=ref)
            if provider == "cash" and delivery == Delivery.PICKUP and not is_test:
                order_to_collect.send(sender=Order, order=order)
        audit_flush()
        # The stock rows are locked last, so other buyers wait only for the check, the
        # hold and the commit (SoldOut rolls the whole order back). Offers counted by
        # their items alone are only share-locked: their buyers queue on the items' rows.
        pairs = [(want.offer.pk, want.option.pk if want.option else None) for want in lines]
        if own_stock:
            offers, options = stock_lock(pairs)
        else:
            stock_share(pairs)
            offers = {want.offer.pk: want.offer for want in lines}
            options = {want.option.pk: want.option for want in lines if want.option}
        stock_check(
            [
                (offers[s.offer.pk], options[s.option.pk] if s.option else None, s.quantity)
                for s in lines
            ],
            now,
            uses,
        )
        insert_rows(
            [
                Reservation(
                    line=line,
                    offer=want.offer,
                    option=want.option,
                    quantity=want.quantity,
                    expires_at=expires,
                )
                for want, line in zip(lines, created, strict=True)
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


def order_collect(*, order: Order, actor: str) -> Order:
    """The fan collected a paid pick-up order: paid → fulfilled, as "collected"."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.delivery != Delivery.PICKUP:
            raise OrderError(_("This order is shipped, not collected."))
        order_move(order, OrderState.FULFILLED, actor=actor, action="order.collect")
    return order


def order_collect_cash(*, payment: Payment, actor: str) -> Order:
    """The fan came by, paid in cash and took the order: the cash payment is confirmed
    (order paid, units sold, downloads open, receipt sent) and the order collected, in
    one transaction. If the order cannot be sold (its hold expired and its units went
    to others, or it was cancelled), nothing is written and OrderError says so: the band
    keeps the record and takes no money.
    """
    if payment.provider != "cash":
        raise OrderError("only cash payments are collected by hand")
    with transaction.atomic():
        payment = payment_confirm(payment=payment, actor=actor, data={"cash": True})
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        if order.state == OrderState.FULFILLED and order.is_pickup:
            return order  # collected already: a second press of the button
        if order.state != OrderState.PAID:
            raise OrderError(
                _("This order can no longer be sold (cancelled, or its units went to others).")
            )
        order_move(order, OrderState.FULFILLED, actor=actor, action="order.collect")
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
        # The audit entry names this flag (inside an audit batch it has no id yet). "log-":
        # ids of the one audit log, never taken for those of the older table ("flag-<id>").
        key = (
            f"flag-log-{entry.pk}" if entry.pk else f"flag-{order.pk}-{timezone.now().timestamp()}"
        )
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
