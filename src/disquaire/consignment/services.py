"""Consignment writes: shops, placing records in them, the sales they report (or that a
count reveals), returns, statements and their payments, the private link.

Every change of where records are goes through ``stock.services.movement_record`` (which
locks the balances, checks and writes one ledger line), inside one transaction with this
room's own rows: a refused line leaves nothing half-written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist
from disquaire.consignment.errors import ConsignmentError
from disquaire.consignment.models import (
    Consignment,
    Report,
    ReportKind,
    ReportSource,
    Sale,
    Shop,
    Statement,
    link_key_new,
)
from disquaire.consignment.terms import share_per_unit
from disquaire.core.audit import activity_record
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

SHOP_FIELDS = (
    "name",
    "contact_name",
    "email",
    "phone",
    "address",
    "town",
    "country",
    "website",
    "map_url",
    "public",
    "notes",
    "share_kind",
    "commission_bp",
    "tier_from_minor",
    "tier_commission_bp",
    "fixed_minor",
)


@transaction.atomic
def shop_create(*, artist: Artist, name: str, **fields: Any) -> Shop:
    """A shop and its own stock place (kind SHOP), made together."""
    unknown = set(fields) - set(SHOP_FIELDS)
    if unknown:
        raise TypeError(f"unknown shop fields {sorted(unknown)}")
    place = Place.objects.create(artist=artist, name=name[:100], kind=Place.Kind.SHOP)
    return Shop.objects.create(artist=artist, place=place, name=name, **fields)


@transaction.atomic
def shop_update(*, shop: Shop, **fields: Any) -> Shop:
    """Change the shop's contact, visibility or terms (sales already reported keep the
    share they were reported with). The stock place follows the shop's name."""
    unknown = set(fields) - set(SHOP_FIELDS)
    if unknown:
        raise TypeError(f"unknown shop fields {sorted(unknown)}")
    for name, value in fields.items():
        setattr(shop, name, value)
    shop.save(update_fields=list(fields))
    if "name" in fields and shop.place.name != shop.name[:100]:
        shop.place.name = shop.name[:100]
        shop.place.save(update_fields=["name"])
    return shop


def _link_set(shop: Shop, *, active: bool) -> Shop:
    with transaction.atomic():
        shop.link_key = link_key_new()
        shop.link_active = active
        shop.save(update_fields=["link_key", "link_active"])
        action = "consignment.link_renew" if active else "consignment.link_revoke"
        activity_record(
            artist_id=shop.artist_id, action=action, obj=shop, after={"link_active": active}
        )
    return shop


def shop_link_revoke(*, shop: Shop) -> Shop:
    """The private link stops working (and every older one with it)."""
    return _link_set(shop, active=False)


def shop_link_renew(*, shop: Shop) -> Shop:
    """A new private link; the old one stops working."""
    return _link_set(shop, active=True)


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
        return movement_record(
            item=item,
            quantity=quantity,
            reason=CONSIGNED,
            from_place=source,
            to_place=shop.place,
            actor=actor,
            reference_type=REFERENCE,
            reference_id=str(shop.pk),
            note=note,
        )
    except StockError:
        left = balance(item=item, place=source)
        raise ConsignmentError(
            _("Only %(left)s of “%(item)s” at %(place)s: %(quantity)s cannot be placed.")
            % {"left": left, "item": item.name, "place": source.name, "quantity": quantity}
        ) from None


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
        movement = movement_record(
            item=item,
            quantity=quantity,
            reason=SOLD_BY_SHOP,
            from_place=shop.place,
            actor=actor,
            reference_type=REFERENCE,
            reference_id=str(shop.pk),
            note=report.note,
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
    report = Report.objects.create(
        shop=shop, kind=ReportKind.SALES, source=source, actor=_user(actor), note=note[:300]
    )
    for line in lines:
        _sale_write(shop=shop, report=report, item=line.item, quantity=line.quantity, actor=actor)
    return report


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
    report = Report.objects.create(
        shop=shop, kind=ReportKind.COUNT, source=source, actor=_user(actor), note=note[:300]
    )
    for line in sold:
        _sale_write(shop=shop, report=report, item=line.item, quantity=line.quantity, actor=actor)
    return report


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
        return movement_record(
            item=item,
            quantity=quantity,
            reason=RETURNED,
            from_place=shop.place,
            to_place=target,
            actor=actor,
            reference_type=REFERENCE,
            reference_id=str(shop.pk),
            note=note,
        )
    except StockError as exc:
        raise ConsignmentError(str(exc)) from None


def _day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


@transaction.atomic
def statement_create(*, shop: Shop, period_end: date | None = None) -> Statement:
    """Settle the sales not yet on a statement, reported up to ``period_end`` (today by
    default): their units, the shop's takings and the band's share, numbered per shop."""
    locked = Shop.objects.select_for_update().get(pk=shop.pk)
    period_end = period_end or timezone.localdate()
    sales = Sale.objects.filter(
        shop=locked, statement__isnull=True, created_at__lt=_day_end(period_end)
    ).order_by("pk")
    found = list(sales)
    if not found:
        raise ConsignmentError(_("No sales to settle up to that day."))
    previous = locked.statements.aggregate(end=Max("period_end"), number=Max("number"))
    if previous["end"] is not None and period_end <= previous["end"]:
        raise ConsignmentError(_("The period must end after the last statement's."))
    start = (
        previous["end"] + timedelta(days=1)
        if previous["end"] is not None
        else timezone.localdate(found[0].created_at)
    )
    statement = Statement.objects.create(
        shop=locked,
        number=(previous["number"] or 0) + 1,
        period_start=min(start, period_end),
        period_end=period_end,
        currency=locked.artist.currency,
        units=sum(s.quantity for s in found),
        sales_minor=sum(s.quantity * s.price_minor for s in found),
        due_minor=sum(s.quantity * s.share_minor for s in found),
    )
    Sale.objects.filter(pk__in=[s.pk for s in found]).update(statement=statement)
    activity_record(
        artist_id=locked.artist_id,
        action="consignment.statement_create",
        obj=statement,
        label=f"{locked.name} #{statement.number}",
        after={"period_start": str(statement.period_start), "period_end": str(period_end),
               "units": statement.units, "due_minor": statement.due_minor},
    )  # fmt: skip
    return statement


@transaction.atomic
def statement_mark_paid(
    *, statement: Statement, amount_minor: int | None = None, paid_on: date, method: str
) -> Statement:
    """The shop paid ``amount_minor`` (the balance by default) on ``paid_on``."""
    locked = Statement.objects.select_for_update().get(pk=statement.pk)
    amount = locked.balance_minor if amount_minor is None else amount_minor
    if amount <= 0:
        raise ConsignmentError(_("This statement is already paid."))
    if amount > locked.balance_minor:
        raise ConsignmentError(_("That is more than the statement's balance."))
    before = {"paid_minor": locked.paid_minor}
    locked.paid_minor += amount
    locked.paid_on = paid_on
    locked.paid_method = method[:100]
    locked.save(update_fields=["paid_minor", "paid_on", "paid_method"])
    activity_record(
        artist_id=locked.shop.artist_id,
        action="consignment.statement_paid",
        obj=locked,
        label=f"{locked.shop.name} #{locked.number}",
        before=before,
        after={"paid_minor": locked.paid_minor, "paid_on": str(paid_on),
               "paid_method": locked.paid_method},
    )  # fmt: skip
    return locked
