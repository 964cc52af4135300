"""The band's work on its orders: shipping parcels, clearing test orders, the CSV export."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db import transaction

from disquaire.catalog.models import Artist
from disquaire.core.audit import activity_record
from disquaire.core.csvsafe import csv_text
from disquaire.core.models import ActivityEntry
from disquaire.core.money import Money
from disquaire.orders.emails import order_shipped_send
from disquaire.orders.models import Order
from disquaire.orders.services import order_fulfil


def order_ship(*, order: Order, tracking_number: str, actor: str) -> Order:
    """Mark a paid order shipped (paid → fulfilled), keep its tracking number, email the fan.

    Raises ``TransitionError`` when the order is not paid. The email goes after the
    commit; a mail failure leaves the order shipped (the band can tell the fan).
    """
    with transaction.atomic():
        order = order_fulfil(order=order, actor=actor)
        order.tracking_number = tracking_number.strip()[:100]
        Order.objects.filter(pk=order.pk).update(tracking_number=order.tracking_number)
        shipped = order
        transaction.on_commit(lambda: order_shipped_send(order=shipped))
    return order


def test_orders_delete(*, artist: Artist, actor: str) -> int:
    """Delete every test order of ``artist`` — only those — with what hangs on them: lines,
    holds (their units go back on sale), payments and refunds, numbered units, and the
    downloads they granted. One audit entry says how many and which, in the same
    transaction. Returns the number of orders deleted.
    """
    from disquaire.delivery.models import Entitlement, EntitlementSource
    from disquaire.delivery.receivers import order_ref
    from disquaire.orders.items import items_restock
    from disquaire.orders.models import EditionUnit, OrderState, Payment, Refund, Reservation
    from disquaire.orders.stock import order_reservations
    from disquaire.payments.models import PaymentSettings

    with transaction.atomic():
        orders = list(
            Order.objects.select_for_update()
            .filter(artist=artist, is_test=True)
            .order_by("pk")
            .only("pk", "code")
        )
        if not orders:
            return 0
        ids = [o.pk for o in orders]
        # Units sold to a test order and not shipped go back to the shelf (the ledger
        # keeps both rows: it is never rewritten).
        for order in Order.objects.filter(pk__in=ids, state=OrderState.PAID).select_related(
            "artist"
        ):
            items_restock(
                order=order,
                reservations=[
                    r for r in order_reservations(order) if r.state == Reservation.State.CONSUMED
                ],
                note="test order deleted",
            )
        Entitlement.objects.filter(
            source=EntitlementSource.ORDER, source_ref__in=[order_ref(o) for o in orders]
        ).delete()
        Refund.objects.filter(payment__order_id__in=ids).delete()
        Payment.objects.filter(order_id__in=ids).delete()
        EditionUnit.objects.filter(line__order_id__in=ids).delete()
        # Lines and holds go with the orders, and so do their histories.
        ActivityEntry.objects.filter(order_id__in=ids).delete()
        Order.objects.filter(pk__in=ids, is_test=True).delete()
        config, _created = PaymentSettings.objects.get_or_create(artist=artist)
        activity_record(
            artist_id=artist.pk,
            action="orders.test_delete",
            obj=config,
            actor=actor,
            after={"count": len(ids), "codes": [o.code for o in orders]},
        )
    return len(ids)


test_orders_delete.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


ORDERS_CSV_HEADER = [
    "code", "created_at", "state", "email", "currency", "items", "shipping", "total",
    "item", "option", "quantity", "line_total", "edition_numbers", "ship_name",
    "ship_address", "ship_postcode", "ship_city", "ship_country", "tracking_number",
    "referrer", "campaign", "delivery",
]  # fmt: skip


def orders_csv(*, orders: Iterable[Order]) -> str:
    """The orders as CSV (one row per line), amounts as decimals, for a spreadsheet."""
    return csv_text(header=ORDERS_CSV_HEADER, rows=_orders_rows(orders))


def _orders_rows(orders: Iterable[Order]) -> Iterator[list[object]]:
    for order in orders:

        def money(minor: int, currency: str = order.currency) -> Decimal:
            return Money(minor, currency).decimal

        for line in order.lines.all():
            row = [
                order.code, order.created_at.isoformat(), order.state, order.email,
                order.currency, money(order.items_minor), money(order.shipping_minor),
                money(order.total_minor), line.title, line.option_label, line.quantity,
                money(line.total_minor), " ".join(map(str, line.edition_numbers)),
                order.ship_name, order.ship_address, order.ship_postcode, order.ship_city,
                order.ship_country, order.tracking_number, order.referrer, order.campaign,
                order.delivery if line.ships else "",
            ]  # fmt: skip
            yield row
