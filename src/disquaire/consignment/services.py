"""Consignment writes: placing records in shops, the sales they report (or that a count
reveals), returns. Shops and their link are in ``consignment.shops``, statements in
``consignment.statements`` (both re-exported here for the rooms above).

Every change of where records are goes through ``stock.services.movement_record`` (which
locks the balances, checks and writes one ledger line), inside one transaction with this
room's own rows: a refused line leaves nothing half-written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from disquaire.consignment.errors import ConsignmentError
from disquaire.consignment.models import (
    Consignment,
    Report,
    ReportKind,
    ReportSource,
    Sale,
    Shop,
)
from disquaire.consignment.shops import SHOP_FIELDS as SHOP_FIELDS  # re-exported
from disquaire.consignment.shops import shop_create as shop_create
from disquaire.consignment.shops import shop_link_renew as shop_link_renew
from disquaire.consignment.shops import shop_link_revoke as shop_link_revoke
from disquaire.consignment.shops import shop_update as shop_update
from disquaire.consignment.statements import statement_create as statement_create
from disquaire.consignment.statements import statement_mark_paid as statement_mark_paid
from disquaire.consignment.terms import share_per_unit
from disquaire.stock.errors import StockError
from disquaire.stock.models import Item, Movement, Place, Reason
from disquaire.stock.selectors import balance
from disquaire.stock.services import (
    balances_lock,
    items_lock,
    movement_record,
    place_default,
)

REFERENCE = "consignment.shop"

# The stock ledger's reasons this room writes.
CONSIGNED = Reason.CONSIGNED
SOLD_BY_SHOP = Reason.SOLD_BY_SHOP
RETURNED = Reason.RETURNED


def _user(actor: Any) -> Any:
    """The signed-in user who did it, or None (a shop through its link, a job)."""
    return actor if getattr(actor, "is_authenticated", False) else None


def _check_item(shop: Shop, item: Item) -> None:
    if item.artist_id != shop.artist_id:
        raise ConsignmentError(_("This item is not one of this band's."))


def _quantity(quantity: Any) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise ConsignmentError(_("Say how many: a whole number above zero."))
    return quantity


@transaction.atomic
def consignment_place(
    *,
    shop: Shop,
    item: Item,
    quantity: int,
    price_minor: int,
    from_place: Place | None = None,
    actor: Any = None,
    note: str = "",
) -> Movement:
    """Leave ``quantity`` units of ``item`` at ``shop``, sold there at ``price_minor``: a
    ``consigned`` movement from ``from_place`` (home by default) to the shop's place.
    The price applies to the sales reported from now on."""
    _check_item(shop, item)
    quantity = _quantity(quantity)
    if price_minor is None or price_minor < 0:
        raise ConsignmentError(_("Give the shop's price."))
    source = from_place or place_default(artist=shop.artist)
    if source.pk == shop.place_id:
        raise ConsignmentError(_("The units must come from another place than the shop."))
    Consignment.objects.update_or_create(
        shop=shop, item=item, defaults={"price_minor": price_minor}
    )
    try:
        return _move(shop, item, quantity, CONSIGNED, source, shop.place, actor=actor, note=note)
    except StockError:
        left = balance(item=item, place=source)
        raise ConsignmentError(
            _("Only %(left)s of “%(item)s” at %(place)s: %(quantity)s cannot be placed.")
            % {"left": left, "item": item.name, "place": source.name, "quantity": quantity}
        ) from None


def _move(
    shop: Shop,
    item: Item,
    quantity: int,
    reason: str,
    from_place: Place | None,
    to_place: Place | None,
    *,
    actor: Any,
    note: str,
) -> Movement:
    """A stock movement that names ``shop`` as its reference."""
    return movement_record(
        item=item,
        quantity=quantity,
        reason=reason,
        from_place=from_place,
        to_place=to_place,
        actor=actor,
        reference_type=REFERENCE,
        reference_id=str(shop.pk),
        note=note,
    )


@dataclass(frozen=True)
class Line:
    item: Item
    quantity: int


def _lock_balances(shop: Shop, items: list[Item]) -> dict[int, int]:
    """Lock ``items`` and then the shop's balance rows of them (each in primary-key
    order, the stock services' own order, so that no two writers wait crosswise) and
    return what is there, item id → units."""
    items_lock(item_ids=[item.pk for item in items])
    locked = balances_lock(pairs=[(item.pk, shop.place_id) for item in items])
    return {item_id: row.quantity for (item_id, _place), row in locked.items()}


def _sale_write(*, shop: Shop, report: Report, item: Item, quantity: int, actor: Any) -> Sale:
    consignment = Consignment.objects.filter(shop=shop, item=item).first()
    if consignment is None:
        raise ConsignmentError(
            _("%(shop)s has never had “%(item)s”.") % {"shop": shop.name, "item": item.name}
        )
    price = consignment.price_minor
    try:
        movement = _move(
            shop, item, quantity, SOLD_BY_SHOP, shop.place, None, actor=actor, note=report.note
        )
    except StockError:
        left = balance(item=item, place=shop.place)
        raise ConsignmentError(_over_message(shop, item, quantity, left)) from None
    return Sale.objects.create(
        shop=shop,
        item=item,
        report=report,
        movement=movement,
        quantity=quantity,
        price_minor=price,
        share_minor=share_per_unit(shop=shop, price_minor=price),
    )


def _report_write(
    shop: Shop, kind: str, sold: list[Line], *, source: str, actor: Any, note: str
) -> Report:
    """The report and one sale per line of ``sold`` (balances already locked and checked)."""
    report = Report.objects.create(
        shop=shop, kind=kind, source=source, actor=_user(actor), note=note[:300]
    )
    for line in sold:
        _sale_write(shop=shop, report=report, item=line.item, quantity=line.quantity, actor=actor)
    return report


def _over_message(shop: Shop, item: Item, quantity: int, left: int) -> str:
    return _(
        "%(shop)s has %(left)s of “%(item)s” left: it cannot have sold %(quantity)s. "
        "Nothing was recorded."
    ) % {"shop": shop.name, "left": left, "item": item.name, "quantity": quantity}


def _lines(lines: list[Line]) -> list[Line]:
    merged: dict[int, Line] = {}
    for line in lines:
        if line.quantity == 0:
            continue
        _quantity(line.quantity)
        found = merged.get(line.item.pk)
        merged[line.item.pk] = Line(line.item, line.quantity + (found.quantity if found else 0))
    return [merged[k] for k in sorted(merged)]


@transaction.atomic
def sales_report(
    *,
    shop: Shop,
    lines: list[Line],
    source: str = ReportSource.BAND,
    actor: Any = None,
    note: str = "",
) -> Report:
    """The shop sold these units: one ``sold_by_shop`` movement and one sale (at today's
    price and share) per item. More than the shop holds is refused, whole."""
    lines = _lines(lines)
    if not lines:
        raise ConsignmentError(_("Nothing to record: every quantity is zero."))
    for line in lines:
        _check_item(shop, line.item)
    held = _lock_balances(shop, [line.item for line in lines])
    for line in lines:
        left = held.get(line.item.pk, 0)
        if line.quantity > left:
            raise ConsignmentError(_over_message(shop, line.item, line.quantity, left))
    return _report_write(shop, ReportKind.SALES, lines, source=source, actor=actor, note=note)


@transaction.atomic
def count_report(
    *,
    shop: Shop,
    counts: list[Line],
    source: str = ReportSource.BAND,
    actor: Any = None,
    note: str = "",
) -> Report:
    """The shop counted what is left: for each item, the difference from what it held is
    recorded as sold ("13 left" of 20 → 7 sold). A count above what it holds is refused."""
    if not counts:
        raise ConsignmentError(_("Nothing to record."))
    for line in counts:
        _check_item(shop, line.item)
        if not isinstance(line.quantity, int) or line.quantity < 0:
            raise ConsignmentError(_("A count is a whole number, zero or more."))
    held = _lock_balances(shop, [line.item for line in counts])
    sold: list[Line] = []
    for line in counts:
        left = held.get(line.item.pk, 0)
        if line.quantity > left:
            raise ConsignmentError(
                _(
                    "%(shop)s cannot have %(counted)s of “%(item)s”: it holds %(left)s. "
                    "Nothing was recorded."
                )
                % {
                    "shop": shop.name,
                    "counted": line.quantity,
                    "item": line.item.name,
                    "left": left,
                }
            )
        if left - line.quantity:
            sold.append(Line(line.item, left - line.quantity))
    return _report_write(shop, ReportKind.COUNT, sold, source=source, actor=actor, note=note)


@transaction.atomic
def consignment_return(
    *,
    shop: Shop,
    item: Item,
    quantity: int,
    to_place: Place | None = None,
    actor: Any = None,
    note: str = "",
) -> Movement:
    """Units taken back from the shop (home by default): a ``returned`` movement."""
    _check_item(shop, item)
    quantity = _quantity(quantity)
    target = to_place or place_default(artist=shop.artist)
    held = _lock_balances(shop, [item]).get(item.pk, 0)
    if quantity > held:
        raise ConsignmentError(
            _("%(shop)s holds %(left)s of “%(item)s”: %(quantity)s cannot come back.")
            % {"shop": shop.name, "left": held, "item": item.name, "quantity": quantity}
        )
    try:
        return _move(shop, item, quantity, RETURNED, shop.place, target, actor=actor, note=note)
    except StockError as exc:
        raise ConsignmentError(str(exc)) from None
