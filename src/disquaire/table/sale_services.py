"""What the band does with a recorded sale: settle a flagged one, mark a transfer
received, void one recorded by mistake."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.fans.referrals.reversals import referral_sale_cancel
from disquaire.stock.errors import StockError
from disquaire.table.bag import units_return, units_take
from disquaire.table.errors import TableError
from disquaire.table.models import Sale
from disquaire.table.sale_parse import lines_units
from disquaire.table.selectors import VOIDABLE_STATUSES
from disquaire.table.trace import trace


def sale_resolve(
    *, sale: Sale, take_stock: bool, note: str = "", actor: Any = None, by: str = ""
) -> Sale:
    """The band settles a flagged sale: its units taken from the bag now (when they are
    there) or left as they are (the count out will tell), with a note."""
    with transaction.atomic():
        locked = Sale.objects.select_for_update().select_related("show__place").get(pk=sale.pk)
        if locked.status != Sale.Status.FLAGGED:
            raise TableError(_("This sale has nothing to resolve."))
        if take_stock:
            lines = locked.lines.select_related("product").prefetch_related(
                "product__components__item"
            )
            try:
                units_take(
                    lines_units(lines),
                    place=locked.show.place,
                    actor=actor,
                    reference_id=str(locked.pk),
                )
            except StockError as exc:
                raise TableError(str(exc)) from exc
        locked.status = Sale.Status.RESOLVED
        locked.resolution = note[:300] or (
            _("Units taken from the bag.") if take_stock else _("Left as it was.")
        )
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "resolution", "resolved_at"])
        trace(
            action="sale_resolve",
            obj=locked,
            by=by,
            data={"artist": locked.artist_id, "take": take_stock, "note": locked.resolution},
        )
    return locked


def sale_payment_receive(*, sale: Sale, by: str = "") -> Sale:
    """The band saw a bank transfer for this sale on its account: the sale is paid. Only
    bank-transfer sales wait for this; marking twice answers an error, changes nothing."""
    with transaction.atomic():
        locked = Sale.objects.select_for_update().get(pk=sale.pk)
        if locked.payment != Sale.Payment.BANK:
            raise TableError(_("Only a bank-transfer sale waits for its payment."))
        if locked.status == Sale.Status.VOIDED:
            raise TableError(_("This sale was voided."))
        if locked.payment_received_at is not None:
            raise TableError(_("This payment is already marked received."))
        locked.payment_received_at = timezone.now()
        locked.payment_received_by = by[:150]
        locked.save(update_fields=["payment_received_at", "payment_received_by"])
        trace(
            action="sale_payment_receive",
            obj=locked,
            by=by,
            data={"artist": locked.artist_id, "total": locked.total},
        )
    return locked


def _sale_lock(pk: Any) -> Sale:
    """The sale's row, locked until the transaction ends: two voids of it queue here."""
    return Sale.objects.select_for_update().get(pk=pk)


def _void_refusal(sale: Sale) -> str | None:
    if sale.status == Sale.Status.VOIDED:
        return _("This sale is already voided.")
    if sale.order_id is not None or sale.payment == Sale.Payment.PHONE:
        return _(
            "This sale was paid through an order: refund the order instead (backstage, "
            "Orders, the order's page, Refund), which puts its units back."
        )
    if sale.payment == Sale.Payment.CARD:
        return _(
            "A card sale is paid back from the card reader's own app: it cannot be voided here."
        )
    if sale.status not in VOIDABLE_STATUSES:
        return _("Only a recorded sale can be voided.")
    return None


def sale_void(*, sale: Sale, reason: str, actor: Any = None, by: str = "") -> Sale:
    """The band takes back a sale recorded by mistake (cash, free or bank transfer):
    the sale is marked voided with ``reason`` (it then counts in no total), the units it
    took go back to the place they left (``restocked`` rows naming the sale), a fan's
    referral credited for it is reversed, and one audit entry is written — all in one
    transaction, nothing written on a refusal (TableError).

    Units a count of that place has reckoned with since the sale (a count in or out of
    a show at that bag, or a count adjustment) are not put back again: that count already
    set the balance to what was there."""
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise TableError(_("Please say why this sale is voided."))
    with transaction.atomic():
        locked = _sale_lock(sale.pk)
        refusal = _void_refusal(locked)
        if refusal is not None:
            raise TableError(refusal)
        try:
            returned = units_return(reference_id=str(locked.pk), actor=actor, note=reason)
        except StockError as exc:
            raise TableError(str(exc)) from exc
        locked.status = Sale.Status.VOIDED
        locked.void_reason = reason
        locked.voided_at = timezone.now()
        locked.voided_by = by[:150]
        locked.save(update_fields=["status", "void_reason", "voided_at", "voided_by"])
        referral = referral_sale_cancel(
            sale_ref=f"table:{locked.pk}", reason=reason, actor=by or "band"
        )
        trace(
            action="sale_void",
            obj=locked,
            by=by,
            data={
                "artist": locked.artist_id,
                "reason": reason,
                "payment": locked.payment,
                "total": locked.total,
                "returned": {str(item_id): n for item_id, n in returned.items()},
                "referral": referral.pk if referral is not None else None,
            },
        )
    return locked
