"""What the band does with a recorded sale: settle a flagged one, mark a transfer received."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.stock.errors import StockError
from disquaire.table.bag import units_take
from disquaire.table.errors import TableError
from disquaire.table.models import Sale
from disquaire.table.sale_parse import lines_units
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
