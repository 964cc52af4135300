"""A table sale the fan pays on their own phone: a checkout of the shop's providers (an
order with no lines, nothing shipped) tied to the sale, pending until the provider
confirms; then its units leave the show's merch bag (``sold_table`` rows with the order
as their reference), once. An order that expires or is cancelled unpaid cancels it.

Creating it: lock the bag's balances of its items (a replay of the same sale waits for
the first), check the sale is new and the bag holds its units (less what other pending
phone sales of the bag will take), then write the order, its payment and the sale.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.orders.models import Delivery, Order
from disquaire.orders.outcomes import payment_checkout_start
from disquaire.orders.services import (
    OrderError,
    TransitionError,
    order_cancel,
    order_collect,
    order_create_handed,
    payment_fail,
)
from disquaire.payments.base import ProviderError
from disquaire.stock.errors import StockError
from disquaire.stock.services import balances_lock
from disquaire.table.bag import units_take
from disquaire.table.errors import TableError
from disquaire.table.fan_services import buyer_fields, sale_buyer_record, sale_releases
from disquaire.table.models import Sale, SaleLine, Seller
from disquaire.table.phone_input import Refused, id_replay
from disquaire.table.sale_parse import (
    SaleBatch,
    lines_units,
    sale_flags,
    sale_lines,
    sale_row,
    sale_units,
)
from disquaire.table.selectors import phone_provider
from disquaire.table.sellers import seller_check
from disquaire.table.trace import trace

REFERENCE_TYPE = "order"


def _pending_units(*, place_id: int, item_ids: list[int]) -> dict[int, int]:
    """Units that phone sales of this bag waiting for their payment will take."""
    lines = SaleLine.objects.filter(
        sale__status=Sale.Status.PENDING, sale__show__place_id=place_id, product__isnull=False
    ).prefetch_related("product__components__item")
    return {item.pk: n for item, n in lines_units(lines) if item.pk in item_ids}


def _answer(sale: Sale) -> dict[str, Any]:
    return {
        "id": str(sale.pk),
        "status": sale.status,
        "pay": reverse("table:phone_pay", kwargs={"sale_id": sale.pk}),
    }


def phone_checkout(
    *, seller: Seller, raw: Any, request: HttpRequest, by: str = ""
) -> dict[str, Any]:
    """Record the sale ``raw`` (as the phone sends any sale, ``payment`` = ``phone``) as
    pending and start its checkout. Answers ``{"id", "status", "pay"}``: ``pay`` is the
    page the fan's phone opens (the QR code). Sent again, it answers the same and
    creates nothing. Raises TableError (nothing written) for a sale that cannot be paid
    online as it is."""
    seller_check(seller=seller)
    try:
        parsed = SaleBatch(seller=seller, sales=[raw]).parse(raw)
    except Refused as exc:
        raise TableError(str(exc)) from exc
    if parsed.payment != Sale.Payment.PHONE:
        raise TableError(_("This sale is not paid on the fan's phone."))
    known = Sale.objects.filter(pk=parsed.id).first()
    if known is not None:
        return _replay(known, seller)
    if sale_flags(parsed):
        raise TableError(
            _("The table has changed (a price, a product, the show): reload and sell again.")
        )
    if parsed.total <= 0:
        raise TableError(_("Nothing to pay."))
    provider = phone_provider(artist=seller.artist)
    if provider is None:
        raise TableError(_("The band has no online payment set up (Payments page)."))
    units = sale_units(parsed)
    place = parsed.show.place
    try:
        with transaction.atomic():
            balances = balances_lock(pairs=[(item.pk, place.pk) for item, _n in units])
            known = Sale.objects.filter(pk=parsed.id).first()
            if known is not None:  # the same sale, sent while we waited for the lock
                return _replay(known, seller)
            held = _pending_units(place_id=place.pk, item_ids=[i.pk for i, _n in units])
            for item, n in units:
                left = balances[(item.pk, place.pk)].quantity - held.get(item.pk, 0)
                if n > left:
                    raise TableError(
                        _("The bag holds only %(n)s of %(item)s.")
                        % {"n": max(left, 0), "item": item.name}
                    )
            artist = seller.artist
            order, payment = order_create_handed(
                artist=artist,
                # The buyer's address when the seller typed one: the receipt goes there.
                email=buyer_fields(raw).get("email", ""),
                total_minor=parsed.total,
                provider=provider.identifier,
                started=provider.starts_at_once,
                is_test=provider.marks_test,
                expires_at=timezone.now()
                + timedelta(minutes=settings.DISQUAIRE_RESERVATION_MINUTES),
                actor=by or f"table-seller:{seller.pk}",
                note=_("Handed over at the merch table: %(show)s") % {"show": parsed.show},
            )
            sale = sale_row(
                parsed,
                seller=seller,
                reference=order.code,
                status=Sale.Status.PENDING,
                order=order,
                buyer_sent=raw.get("fan") if isinstance(raw.get("fan"), dict) else {},
            )
            sale.answer = _answer(sale)  # its id and status are set: one insert
            sale.save(force_insert=True)
            SaleLine.objects.bulk_create(sale_lines(parsed))
            trace(action="phone_checkout", obj=sale, by=by,
                  data={"order": order.code, "total": sale.total})  # fmt: skip
    except IntegrityError:
        # A sale with this id is now recorded (another request): answer as it did.
        known = Sale.objects.filter(pk=parsed.id).first()
        if known is None:
            raise
        return _replay(known, seller)
    try:
        url = payment_checkout_start(provider=provider, payment=payment, request=request)
    except ProviderError as exc:
        payment_fail(payment=payment, actor="system", reason=str(exc))
        order_cancel(order=order, actor="system", reason=str(exc))
        raise TableError(_("The payment could not start: %(why)s") % {"why": exc}) from exc
    Sale.objects.filter(pk=sale.pk).update(pay_url=url)
    return sale.answer


def _replay(sale: Sale, seller: Seller) -> dict[str, Any]:
    try:
        id_replay(row=sale, seller=seller, fits=sale.payment == Sale.Payment.PHONE)
    except Refused as exc:
        raise TableError(str(exc)) from exc
    return _answer(sale)  # the sale as it is now: pending, then paid or cancelled


def phone_sale_status(*, sale: Sale) -> dict[str, Any]:
    """What the table shows of a phone sale: its status (pending, accepted, flagged,
    cancelled)."""
    return {"id": str(sale.pk), "status": sale.status}


def phone_sale_cancel(*, sale: Sale, by: str) -> Sale:
    """The fan gave up (or the seller took another way): the order is cancelled, and the
    sale with it (``order_unpaid_closed``). A paid one cannot be cancelled here."""
    if sale.order_id is None:
        raise TableError(_("Only a sale paid on the fan's phone is cancelled here."))
    try:
        order_cancel(order=Order(pk=sale.order_id), actor=by)
    except OrderError as exc:
        raise TableError(_("This sale is paid already, or closed.")) from exc
    return Sale.objects.get(pk=sale.pk)


def phone_sale_paid(*, order: Order) -> None:
    """``order_paid``: the provider confirmed the order of a phone sale, inside that
    transaction. The sale (locked) counts as sold: its units leave the show's bag with
    the order as their reference, its buyer gets their codes. Flagged for the band when
    the bag no longer holds them, or when the sale was cancelled before the money came."""
    if order.delivery != Delivery.PICKUP:
        return  # a phone sale's order is handed over (pick-up): no query for the others
    sale = (
        Sale.objects.select_for_update()
        .select_related("show__place", "seller", "artist")
        .filter(order_id=order.pk)
        .first()
    )
    if sale is None or sale.status not in (Sale.Status.PENDING, Sale.Status.CANCELLED):
        return
    flags: list[str] = []
    if sale.status == Sale.Status.CANCELLED:
        flags = ["paid_after_cancel"]
    else:
        lines = list(
            sale.lines.select_related("product").prefetch_related(
                "product__components__item__release"
            )
        )
        try:
            units_take(
                lines_units(lines),
                place=sale.show.place,
                actor=sale.seller.user,
                reference_id=order.code,
                reference_type=REFERENCE_TYPE,
            )
        except StockError:
            flags = ["stock"]
    sale.status = Sale.Status.FLAGGED if flags else Sale.Status.ACCEPTED
    sale.flags = flags
    sale.payment_received_at = timezone.now()
    sale.payment_received_by = "provider"
    sale.save(update_fields=["status", "flags", "payment_received_at", "payment_received_by"])
    if not flags:
        sale_buyer_record(
            seller=sale.seller,
            sale=sale,
            raw={"fan": sale.buyer_sent},
            releases=sale_releases(artist_id=sale.artist_id, lines=lines),
        )
    trace(action="phone_paid", obj=sale, by="provider",
          data={"order": order.code, "flags": flags})  # fmt: skip
    order_id = order.pk
    transaction.on_commit(lambda: _collected(order_id))


def _collected(order_id: int) -> None:
    """The fan holds the goods: the order is collected (paid → fulfilled)."""
    try:
        order_collect(order=Order(pk=order_id), actor="table")
    except (OrderError, TransitionError):
        return  # refunded or collected meanwhile: nothing to do


def phone_sale_lapsed(*, order: Order) -> None:
    """``order_unpaid_closed``: the order expired or was cancelled unpaid; its pending
    sale is cancelled (nothing was sold), in that transaction."""
    if order.delivery != Delivery.PICKUP:
        return
    sale = Sale.objects.select_for_update().filter(order_id=order.pk).first()
    if sale is None or sale.status != Sale.Status.PENDING:
        return
    sale.status = Sale.Status.CANCELLED
    sale.save(update_fields=["status"])
    trace(action="phone_cancel", obj=sale, by="system",
          data={"order": order.code, "state": order.state})  # fmt: skip
