"""What changes at the merch table: sellers, table products, shows and their counts, and
the sales the phones send (``sales_sync``).

A batch of sales is one transaction: lock the bag's balances of every item it sells
(key order: two phones never wait on each other in a circle), find which sales are
already recorded (a sale's id, made on the phone, is the primary key), then record each
new one and take its units out of the bag through the stock ledger (check → write).
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist, Release
from disquaire.core.audit import activity_record
from disquaire.orders.transitions import audit_log
from disquaire.stock.errors import StockError
from disquaire.stock.models import Item, Place, Reason
from disquaire.stock.services import balances_lock, count_record, movement_record
from disquaire.table.errors import SellerRefused, TableError
from disquaire.table.fan_services import buyers_record
from disquaire.table.models import (
    Category,
    Sale,
    SaleLine,
    Seller,
    Show,
    ShowCount,
    TableComponent,
    TableProduct,
)

CODE_DAYS = 7
MAX_LINES = 50
MAX_UNITS = 999
MAX_BATCH = 500
REFERENCE_TYPE = "table_sale"


def _trace(*, action: str, obj: Any, by: str, data: dict[str, Any] | None = None) -> None:
    """A table action in the band's activity log (``core.audit``), in its transaction. Its
    older line in ``orders.AuditEntry`` is still written (the table's actions were read
    there first); dropping it is a change of its own."""
    data = data or {}
    audit_log(action=f"table.{action}", obj=obj, order=None, actor=by, data=data)
    artist_id = data.get("artist", getattr(obj, "artist_id", None))
    if artist_id is not None:
        after = {k: v for k, v in data.items() if k != "artist"}
        activity_record(
            artist_id=int(artist_id), action=f"table.{action}", obj=obj, actor=by, after=after
        )


# -- sellers


def seller_invite(*, artist: Artist, name: str, created_by: Any = None, by: str = "") -> Seller:
    """A seller for a friend running the table: joins with the short code (or its link)
    within CODE_DAYS days, once."""
    with transaction.atomic():
        seller = Seller.objects.create(
            artist=artist,
            name=name.strip()[:120] or _("Seller"),
            created_by=created_by,
            code_expires_at=timezone.now() + timedelta(days=CODE_DAYS),
        )
        _trace(action="seller_invite", obj=seller, by=by, data={"artist": artist.pk,
               "name": seller.name})  # fmt: skip
    return seller


def seller_join(*, code: str) -> Seller:
    """The seller whose short code this is, now joined (the code works once)."""
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    with transaction.atomic():
        seller = (
            Seller.objects.select_for_update()
            .filter(code=normal, user__isnull=True, revoked_at__isnull=True)
            .first()
        )
        now = timezone.now()
        if (
            seller is None
            or seller.joined_at is not None
            or (seller.code_expires_at is not None and seller.code_expires_at < now)
        ):
            raise TableError(
                _("This code is unknown, used or expired: ask the band for a new one.")
            )
        seller.joined_at = now
        seller.save(update_fields=["joined_at"])
    return seller


def seller_for_member(*, artist: Artist, user: Any) -> Seller:
    """The band member's own seller (made on first use): their sales carry their name."""
    seller, _created = Seller.objects.get_or_create(
        artist=artist,
        user=user,
        defaults={"name": user.get_username(), "joined_at": timezone.now()},
    )
    return seller


def seller_revoke(*, seller: Seller, by: str = "") -> None:
    """The seller's phone can no longer sell nor sync; its sales stay."""
    if seller.revoked_at is None:
        with transaction.atomic():
            seller.revoked_at = timezone.now()
            seller.save(update_fields=["revoked_at"])
            _trace(action="seller_revoke", obj=seller, by=by, data={"artist": seller.artist_id})


def seller_check(*, seller: Seller) -> None:
    if seller.revoked_at is not None:
        raise SellerRefused(_("This seller was signed out by the band."))


# -- table products


def product_save(
    *,
    artist: Artist,
    name: str,
    price: int,
    category: str,
    components: list[tuple[Item, int]],
    release: Release | None = None,
    product: TableProduct | None = None,
    position: int = 0,
    by: str = "",
) -> TableProduct:
    """Create (or change) a table product made of ``components`` (item, units)."""
    if price < 0:
        raise TableError(_("A price cannot be negative."))
    if not components:
        raise TableError(_("A table product needs at least one item."))
    if any(item.artist_id != artist.pk or units < 1 for item, units in components):
        raise TableError(_("Each item must be the band's own, one unit or more."))
    if release is not None and release.artist_id != artist.pk:
        raise TableError(_("That release is not the band's."))
    with transaction.atomic():
        if product is None:
            product = TableProduct(artist=artist)
        product.name = name.strip()[:120]
        product.price = price
        product.category = category
        product.release = release
        product.position = position
        product.save()
        product.components.all().delete()
        merged: dict[int, tuple[Item, int]] = {}
        for item, units in components:
            held = merged.get(item.pk)
            merged[item.pk] = (item, units + (held[1] if held else 0))
        TableComponent.objects.bulk_create(
            TableComponent(product=product, item=item, quantity=units)
            for item, units in merged.values()
        )
        _trace(action="product_save", obj=product, by=by, data={
            "artist": artist.pk, "name": product.name, "price": price, "category": category,
            "items": {str(pk): units for pk, (_item, units) in merged.items()},
        })  # fmt: skip
    return product


def product_remove(*, product: TableProduct, by: str = "") -> None:
    """Off the table; kept for the sales that name it."""
    if product.is_active:
        with transaction.atomic():
            product.is_active = False
            product.save(update_fields=["is_active"])
            _trace(action="product_remove", obj=product, by=by,
                   data={"artist": product.artist_id})  # fmt: skip


# -- shows


def show_open(
    *,
    artist: Artist,
    date: date,
    venue: str,
    town: str = "",
    place: Place | None = None,
    cash_float: int = 0,
    cut: str = Show.Cut.NONE,
    cut_music_bp: int = 0,
    cut_apparel_bp: int = 0,
    cut_other_bp: int = 0,
    cut_fee: int = 0,
    by: str = "",
) -> Show:
    """Open a show at the merch bag ``place`` (the band's default bag when not given)."""
    if place is None:
        place = (
            Place.objects.filter(artist=artist, kind=Place.Kind.BAG)
            .order_by("-is_default", "pk")
            .first()
        )
        if place is None:
            raise TableError(_("Add a merch bag place on the stock page first."))
    if place.artist_id != artist.pk or place.kind != Place.Kind.BAG:
        raise TableError(_("A show sells from one of the band's merch bags."))
    if (
        min(cash_float, cut_music_bp, cut_apparel_bp, cut_other_bp, cut_fee) < 0
        or max(cut_music_bp, cut_apparel_bp, cut_other_bp) > 10_000
    ):
        raise TableError(_("Amounts cannot be negative, a cut at most 100 %."))
    with transaction.atomic():
        show = Show.objects.create(
            artist=artist,
            date=date,
            venue=venue.strip()[:200],
            town=town.strip()[:120],
            place=place,
            cash_float=cash_float,
            cut=cut,
            cut_music_bp=cut_music_bp,
            cut_apparel_bp=cut_apparel_bp,
            cut_other_bp=cut_other_bp,
            cut_fee=cut_fee,
        )
        _trace(action="show_open", obj=show, by=by, data={"artist": artist.pk,
               "date": str(date), "venue": show.venue})  # fmt: skip
    return show


def show_count(
    *, show: Show, stage: str, counts: dict[Item, int], actor: Any = None, by: str = ""
) -> list[ShowCount]:
    """Record what is in the bag per item at the count in or out. The ledger follows the
    count: a difference with the bag's balance is written as ``counted`` rows (missing or
    extra units), so count-in − sold − count-out is what those rows say."""
    if stage not in ShowCount.Stage.values:
        raise TableError(_("Unknown count."))
    if any(item.artist_id != show.artist_id or n < 0 for item, n in counts.items()):
        raise TableError(_("Counts are of the band's own items, zero or more."))
    written = []
    with transaction.atomic():
        locked = Show.objects.select_for_update().get(pk=show.pk)
        if locked.state != Show.State.OPEN:
            raise TableError(_("This show is closed."))
        for item in sorted(counts, key=lambda i: i.pk):
            try:
                count_record(
                    item=item,
                    place=locked.place,
                    counted=counts[item],
                    actor=actor,
                    note=f"{stage} {locked}",
                )
            except StockError as exc:
                raise TableError(str(exc)) from exc
            row, _created = ShowCount.objects.update_or_create(
                show=locked, item=item, stage=stage, defaults={"quantity": counts[item]}
            )
            written.append(row)
        tally = {str(i.pk): n for i, n in counts.items()}
        _trace(
            action=f"show_count_{stage}",
            obj=locked,
            by=by,
            data={"artist": locked.artist_id, "counts": tally},
        )
    return written


def show_close(*, show: Show, cash_counted: int | None, by: str = "") -> Show:
    """Close the show (after its count out): late sales of it are flagged."""
    if cash_counted is not None and cash_counted < 0:
        raise TableError(_("Counted cash cannot be negative."))
    with transaction.atomic():
        locked = Show.objects.select_for_update().get(pk=show.pk)
        if locked.state != Show.State.OPEN:
            raise TableError(_("This show is already closed."))
        locked.state = Show.State.CLOSED
        locked.cash_counted = cash_counted
        locked.closed_at = timezone.now()
        locked.save(update_fields=["state", "cash_counted", "closed_at"])
        _trace(action="show_close", obj=locked, by=by, data={
            "artist": locked.artist_id, "cash_counted": cash_counted})  # fmt: skip
    return locked


# -- sales


class Refused(Exception):
    """A sale that cannot have come from our app as sent: refused, not recorded."""


@dataclass
class _Line:
    product_ref: int
    product: TableProduct | None
    name: str
    quantity: int
    unit_price: int


@dataclass
class _Parsed:
    id: uuid.UUID
    device_id: uuid.UUID
    device_seq: int
    device_time: datetime
    show: Show
    payment: str
    total: int
    tendered: int | None
    reference: str
    lines: list[_Line] = field(default_factory=list)


def _int(value: Any, what: str, *, low: int = 0, high: int = 2**31 - 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Refused(_("%(what)s must be a whole number from %(low)s to %(high)s.") % {
            "what": what, "low": low, "high": high,
        })  # fmt: skip
    return value


def _uuid(value: Any, what: str, *, version: int | None = None) -> uuid.UUID:
    try:
        parsed = uuid.UUID(str(value))
    except ValueError:
        raise Refused(_("%(what)s is not an id.") % {"what": what}) from None
    if version is not None and parsed.version != version:
        raise Refused(_("%(what)s is not a time-ordered id (UUIDv7).") % {"what": what})
    return parsed


class _Batch:
    """What the sales of one batch name, read once: shows and products (with their items)."""

    def __init__(self, *, seller: Seller, sales: list[Any]) -> None:
        self.seller = seller
        show_ids, product_ids = set(), set()
        for raw in sales:
            if isinstance(raw, dict):
                if isinstance(raw.get("show"), int):
                    show_ids.add(raw["show"])
                for line in raw.get("lines") or []:
                    if isinstance(line, dict) and isinstance(line.get("product"), int):
                        product_ids.add(line["product"])
        self.shows = Show.objects.select_related("place").in_bulk(show_ids)
        self.products = TableProduct.objects.prefetch_related("components__item").in_bulk(
            product_ids
        )

    def parse(self, raw: Any) -> _Parsed:
        """The sale as the phone sent it, checked for what no honest phone sends."""
        seller = self.seller
        if not isinstance(raw, dict):
            raise Refused(_("A sale is an object."))
        stamp = parse_datetime(str(raw.get("device_time", "")))
        if stamp is None:
            raise Refused(_("The sale's device time is missing or unreadable."))
        if timezone.is_naive(stamp):
            stamp = timezone.make_aware(stamp, UTC)
        show = self.shows.get(_int(raw.get("show"), "show", low=1))
        if show is None or show.artist_id != seller.artist_id:
            raise Refused(_("This show is not the band's."))
        payment = raw.get("payment")
        if payment not in Sale.Payment.values:
            raise Refused(_("Unknown payment: cash, card, free or bank transfer."))
        tendered = raw.get("tendered")
        lines = raw.get("lines")
        if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_LINES:
            raise Refused(_("A sale has 1 to %(n)s lines.") % {"n": MAX_LINES})
        parsed = _Parsed(
            id=_uuid(raw.get("id"), "id", version=7),
            device_id=_uuid(raw.get("device_id"), "device_id"),
            device_seq=_int(raw.get("device_seq"), "device_seq", low=1),
            device_time=stamp,
            show=show,
            payment=payment,
            total=_int(raw.get("total"), "total"),
            tendered=None if tendered is None else _int(tendered, "tendered"),
            reference=str(raw.get("reference") or "")[:80],
        )
        for line in lines:
            if not isinstance(line, dict):
                raise Refused(_("A sale line is an object."))
            ref = _int(line.get("product"), "product", low=1)
            product = self.products.get(ref)
            if product is not None and product.artist_id != seller.artist_id:
                raise Refused(_("This item is not the band's."))
            parsed.lines.append(
                _Line(
                    product_ref=ref,
                    product=product,
                    name=str(line.get("name") or "")[:120],
                    quantity=_int(line.get("quantity"), "quantity", low=1, high=MAX_UNITS),
                    unit_price=_int(line.get("unit_price"), "unit_price"),
                )
            )
        return parsed


def _flags(parsed: _Parsed) -> list[str]:
    """What keeps the sale from being taken as is (before stock)."""
    flags = []
    if parsed.show.state != Show.State.OPEN:
        flags.append("show_closed")
    for line in parsed.lines:
        if line.product is None:
            flags.append("product_deleted")
        elif not line.product.is_active:
            flags.append("product_removed")
        elif line.unit_price != line.product.price:
            flags.append("price")
    expected = (
        0
        if parsed.payment == Sale.Payment.FREE
        else sum(line.unit_price * line.quantity for line in parsed.lines)
    )
    if parsed.total != expected:
        flags.append("total")
    return sorted(set(flags))


def _units(parsed: _Parsed) -> list[tuple[Item, int]]:
    """Units per item the sale takes from the bag, in item order (the lock order)."""
    units: dict[int, list[Any]] = {}
    for line in parsed.lines:
        if line.product is None:
            continue
        for comp in line.product.components.all():
            units.setdefault(comp.item_id, [comp.item, 0])[1] += comp.quantity * line.quantity
    return [(item, n) for _pk, (item, n) in sorted(units.items())]


def _answer(sale_id: Any, flags: list[str]) -> dict[str, Any]:
    answer: dict[str, Any] = {"id": str(sale_id), "status": "flagged" if flags else "accepted"}
    if flags:
        answer["flags"] = flags
    return answer


def _take_units(*, seller: Seller, parsed: _Parsed, sale_id: str) -> list[str]:
    """Take the sale's units out of the show's bag (its balances already locked); the
    flags when the bag does not hold them (nothing taken then)."""
    units = _units(parsed)
    try:
        # movement_record checks before it writes and rolls itself back; a sale of
        # several items needs them all or none.
        with transaction.atomic() if len(units) > 1 else nullcontext():
            for item, quantity in units:
                movement_record(
                    item=item,
                    quantity=quantity,
                    reason=Reason.SOLD_TABLE,
                    from_place=parsed.show.place,
                    actor=seller.user,
                    reference_type=REFERENCE_TYPE,
                    reference_id=sale_id,
                )
    except StockError:
        return ["stock"]
    return []


def _record(*, seller: Seller, new: list[_Parsed]) -> dict[uuid.UUID, dict[str, Any]]:
    """Record the batch's new sales (their ids checked unknown under the bag's lock):
    each one's units taken from the bag, then every sale and line in one insert each."""
    artist = seller.artist
    sales, lines, answers = [], [], {}
    for parsed in new:
        flags = _flags(parsed)
        if not flags:
            flags = _take_units(seller=seller, parsed=parsed, sale_id=str(parsed.id))
        answers[parsed.id] = _answer(parsed.id, flags)
        sales.append(
            Sale(
                id=parsed.id,
                artist=artist,
                show=parsed.show,
                seller=seller,
                device_id=parsed.device_id,
                device_seq=parsed.device_seq,
                device_time=parsed.device_time,
                payment=parsed.payment,
                total=parsed.total,
                currency=artist.currency,
                tendered=parsed.tendered,
                reference=parsed.reference,
                status=Sale.Status.FLAGGED if flags else Sale.Status.ACCEPTED,
                flags=flags,
                answer=answers[parsed.id],
            )
        )
        lines += [
            SaleLine(
                sale_id=parsed.id,
                product=line.product,
                product_ref=line.product_ref,
                name=line.product.name if line.product else line.name,
                category=line.product.category if line.product else Category.OTHER,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in parsed.lines
        ]
    # A sale sent again at this moment by another batch that shares no lock with this
    # one (no unit to take, or a tampered copy) makes this insert fail: sales_sync then
    # runs the batch again, and finds it recorded.
    Sale.objects.bulk_create(sales)
    SaleLine.objects.bulk_create(lines)
    return answers


def _sync_once(
    *, seller: Seller, sales: list[Any], ids: list[uuid.UUID | None], parsed: list[Any]
) -> list[dict[str, Any]]:
    pairs = sorted(
        {
            (item.pk, p.show.place_id)
            for p in parsed
            if isinstance(p, _Parsed)
            for item, _n in _units(p)
        }
    )
    with transaction.atomic():
        balances_lock(pairs=pairs)
        known = Sale.objects.only("artist_id", "answer").in_bulk([i for i in ids if i])
        new: dict[uuid.UUID, _Parsed] = {}
        for sale_id, p in zip(ids, parsed, strict=True):
            if isinstance(p, _Parsed) and sale_id not in known and sale_id not in new:
                new[p.id] = p
        recorded = _record(seller=seller, new=list(new.values()))
        buyers_record(seller=seller, new=new, sales=sales)
        answers = []
        for raw, sale_id, p in zip(sales, ids, parsed, strict=True):
            if sale_id is not None and sale_id in recorded:
                answers.append(recorded[sale_id])
            elif sale_id is not None and sale_id in known:
                old = known[sale_id]
                if old.artist_id != seller.artist_id:
                    answers.append({"id": str(sale_id), "status": "refused",
                                    "reason": _("This id is taken.")})  # fmt: skip
                else:
                    answers.append(old.answer)
            else:
                raw_id = raw.get("id") if isinstance(raw, dict) else ""
                answers.append({"id": str(raw_id or ""), "status": "refused", "reason": str(p)})
    return answers


def sales_sync(*, seller: Seller, sales: list[Any]) -> list[dict[str, Any]]:
    """Take a phone's batch of sales; each is recorded once, whatever the number of
    times it is sent. Answers one entry per sale, in order: ``accepted``, ``flagged``
    (recorded, for the band to resolve, with its reasons) or ``refused`` (not recorded:
    it cannot have come from the app as sent, with the reason).

    One transaction for the batch: it first locks the bag balances of every item the
    batch sells, in key order (so two phones' batches never wait on each other in a
    circle), then finds the sales already recorded (after the lock: a copy of this batch
    sent at the same moment has committed by then), then records the new ones."""
    seller_check(seller=seller)
    if len(sales) > MAX_BATCH:
        raise TableError(_("At most %(n)s sales at a time.") % {"n": MAX_BATCH})
    batch = _Batch(seller=seller, sales=sales)
    ids: list[uuid.UUID | None] = []
    parsed: list[_Parsed | Refused] = []
    for raw in sales:
        try:
            ids.append(_uuid(raw.get("id") if isinstance(raw, dict) else None, "id"))
        except Refused:
            ids.append(None)
        try:
            parsed.append(batch.parse(raw))
        except Refused as exc:
            parsed.append(exc)
    for attempt in range(3):
        try:
            return _sync_once(seller=seller, sales=sales, ids=ids, parsed=parsed)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def sale_take(*, seller: Seller, raw: Any) -> dict[str, Any]:
    """One sale sent alone (see ``sales_sync``)."""
    return sales_sync(seller=seller, sales=[raw])[0]


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
            units: dict[int, list[Any]] = {}
            for line in locked.lines.select_related("product"):
                if line.product is None:
                    continue
                for comp in line.product.components.select_related("item"):
                    units.setdefault(comp.item_id, [comp.item, 0])[1] += (
                        comp.quantity * line.quantity
                    )
            try:
                for _pk, (item, n) in sorted(units.items()):
                    movement_record(
                        item=item,
                        quantity=n,
                        reason=Reason.SOLD_TABLE,
                        from_place=locked.show.place,
                        actor=actor,
                        reference_type=REFERENCE_TYPE,
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
        _trace(
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
        _trace(
            action="sale_payment_receive",
            obj=locked,
            by=by,
            data={"artist": locked.artist_id, "total": locked.total},
        )
    return locked
