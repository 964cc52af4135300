"""Orders and the stock ledger: what an offer takes from the items it uses.

An offer uses items (``selling.OfferItem``): the CD offer 1 CD, the bundle 1 CD, the
“2 CDs” deal 2. What is left of an offer is what its items have at the place the web
shop ships from, minus what pending checkouts hold of them (held reservations that have
not expired, times the units each uses). Checkout locks the rows of those items
(``stock.services.items_lock``, primary-key order, after the offer rows) before it
counts and holds, so buyers of two offers sharing one box of CDs queue on the same row;
then it reads balance and holds in one statement (one snapshot). A paid order becomes
``sold_online`` ledger rows from the shipping place (a relative update of the balance:
no lock for checkouts to wait on beyond the payment's commit); a refund of an order not
shipped yet puts its units back (``restocked``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.orders.errors import SoldOut
from disquaire.orders.models import Reservation
from disquaire.selling.models import OfferItem
from disquaire.stock import services as stock_services
from disquaire.stock.models import Balance, Item, Place, Reason
from disquaire.stock.selectors import PLACE_SHIPPING_PARAMS, PLACE_SHIPPING_SQL, place_shipping_id
from disquaire.stock.web_shop import web_shop_record


@dataclass(frozen=True)
class Use:
    offer_id: int
    option_id: int | None
    item_id: int
    quantity: int
    numbered: bool = False
    # Where the web shop of the offer's artist ships from (None: the artist has no place).
    place_id: int | None = None

    def applies(self, option_id: int | None) -> bool:
        return self.option_id is None or self.option_id == option_id


_T_USE = OfferItem._meta.db_table
_T_RES = Reservation._meta.db_table
_T_ITEM = Item._meta.db_table
_T_BALANCE = Balance._meta.db_table


def uses_of(offer_ids: Iterable[int]) -> list[Use]:
    """The items the offers use (one short query; none for offers that use none)."""
    ids = sorted(set(offer_ids))
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.offer_id, u.option_id, u.item_id, u.quantity, i.numbered, "  # noqa: S608
            f"({PLACE_SHIPPING_SQL.replace('artist_id = %s', 'artist_id = i.artist_id')}) "
            f"FROM {_T_USE} u JOIN {_T_ITEM} i ON i.id = u.item_id "
            f"WHERE u.offer_id IN ({', '.join(['%s'] * len(ids))}) ORDER BY u.item_id",
            [*PLACE_SHIPPING_PARAMS, *ids],
        )
        return [Use(o, opt, i, q, bool(n), p) for o, opt, i, q, n, p in cursor.fetchall()]


def numbered_by_item(offer_ids: Iterable[int]) -> set[int]:
    """Those of the offers whose units get a numbered item's numbers."""
    return {u.offer_id for u in uses_of(offer_ids) if u.numbered}


def needs(wanted: Iterable[tuple[int, int | None, int]], uses: Sequence[Use]) -> dict[int, int]:
    """Units of each item that ``wanted`` — (offer id, option id, quantity) — takes."""
    need: dict[int, int] = defaultdict(int)
    for offer_id, option_id, quantity in wanted:
        for use in uses:
            if use.offer_id == offer_id and use.applies(option_id):
                need[use.item_id] += quantity * use.quantity
    return dict(need)


def items_held(item_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """Units of each item held by pending checkouts (active holds not expired at ``now``)."""
    ids = sorted(set(item_ids))
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.item_id, SUM(r.quantity * u.quantity) FROM {_T_RES} r "  # noqa: S608
            f"JOIN {_T_USE} u ON u.offer_id = r.offer_id "
            "AND (u.option_id IS NULL OR u.option_id = r.option_id) "
            f"WHERE u.item_id IN ({', '.join(['%s'] * len(ids))}) "
            "AND r.state = %s AND r.expires_at > %s GROUP BY u.item_id",
            [
                *ids,
                Reservation.State.ACTIVE.value,
                connection.ops.adapt_datetimefield_value(now),
            ],
        )
        return {int(item_id): int(n) for item_id, n in cursor.fetchall()}


def held_at(item_ids: list[int], place: Place) -> dict[int, int]:
    """The stock room's question (registered in ``OrdersConfig.ready``): units of the
    items that pending checkouts hold at ``place`` — the web shop's place, else none."""
    if place_shipping_id(artist_id=place.artist_id) != place.pk:
        return {}
    return items_held(item_ids, timezone.now())


# Units of the item ``{item}`` (a column of the outer query) that active holds not
# expired at the second parameter keep, 0 when none: the one rule of what a hold takes,
# for ``items_free`` and ``units_left`` (parameters: the active state, the time).
_HELD_OF = (
    "COALESCE((SELECT SUM(h.quantity * hu.quantity) "  # noqa: S608
    f"FROM {_T_RES} h JOIN {_T_USE} hu ON hu.offer_id = h.offer_id "
    "AND (hu.option_id IS NULL OR hu.option_id = h.option_id) "
    "WHERE hu.item_id = {item} AND h.state = %s AND h.expires_at > %s), 0)"
)


def items_free(place_id: int, item_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """Units of each item free at the place: its balance minus the units held by active
    holds not expired at ``now`` — read in one statement, so in one snapshot: a payment
    committing meanwhile (balance down, hold sold, together) is seen whole or not at all.
    """
    ids = sorted(set(item_ids))
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT i.id, COALESCE(b.quantity, 0) - {_HELD_OF.format(item='i.id')} "  # noqa: S608
            f"FROM {_T_ITEM} i LEFT JOIN {_T_BALANCE} b ON b.item_id = i.id AND b.place_id = %s "
            f"WHERE i.id IN ({', '.join(['%s'] * len(ids))})",
            [
                Reservation.State.ACTIVE.value,
                connection.ops.adapt_datetimefield_value(now),
                place_id,
                *ids,
            ],
        )
        return {int(item_id): int(free) for item_id, free in cursor.fetchall()}


def items_check(
    wanted: Sequence[tuple[Any, Any, int]], now: datetime, uses: Sequence[Use] | None = None
) -> None:
    """Raise SoldOut unless the items that ``wanted`` — (offer, option, quantity) — use
    are there at the shipping place; locks their item rows (call inside the checkout's
    transaction, after the offer rows). ``uses``: ``uses_of`` the offers, when read
    already (before any lock: which items an offer uses is not stock)."""
    if uses is None:
        uses = uses_of(offer.pk for offer, _o, _q in wanted)
    if not uses:
        return
    need = needs(((o.pk, opt.pk if opt else None, q) for o, opt, q in wanted), uses)
    # Checkouts (and moves, and counts) of these items queue on their rows; then what is
    # free is read afresh, after the lock.
    stock_services.items_lock(item_ids=need)
    place_id = uses[0].place_id
    free = items_free(place_id, need, now) if place_id is not None else {}
    for item_id, quantity in sorted(need.items()):
        left = free.get(item_id, 0)
        if quantity <= left:
            continue
        offer = next(
            o
            for o, opt, _q in wanted
            if any(
                u.offer_id == o.pk and u.item_id == item_id and u.applies(opt.pk if opt else None)
                for u in uses
            )
        )
        if left <= 0:
            raise SoldOut(_("%(title)s is sold out.") % {"title": offer.title})
        per_unit = max(u.quantity for u in uses if u.offer_id == offer.pk and u.item_id == item_id)
        raise SoldOut(
            _("Only %(left)d of %(title)s left.") % {"left": left // per_unit, "title": offer.title}
        )


# What each item an offer uses has free where the web shop ships from, in one statement
# (it runs on every add to a cart and every offer shown): the use, and the item's
# balance at the shipping place minus the units active holds keep (no place: 0 - held).
_LEFT_SQL = (
    "SELECT u.option_id, u.item_id, u.quantity, "  # noqa: S608
    f"COALESCE(b.quantity, 0) - {_HELD_OF.format(item='u.item_id')} "
    f"FROM {_T_USE} u JOIN {_T_ITEM} i ON i.id = u.item_id "
    f"LEFT JOIN {_T_BALANCE} b ON b.item_id = u.item_id AND b.place_id = ("
    f"{PLACE_SHIPPING_SQL.replace('artist_id = %s', 'artist_id = i.artist_id')}) "
    "WHERE u.offer_id = %s"
)


def units_left(*, offer: Any, option: Any = None, now: datetime | None = None) -> int | None:
    """Units of ``offer`` (with ``option``) its items still allow; None: it uses none."""
    with connection.cursor() as cursor:
        cursor.execute(
            _LEFT_SQL,
            [
                Reservation.State.ACTIVE.value,
                connection.ops.adapt_datetimefield_value(now or timezone.now()),
                *PLACE_SHIPPING_PARAMS,
                offer.pk,
            ],
        )
        rows = cursor.fetchall()
    option_id = option.pk if option is not None else None
    free: dict[int, int] = {}
    per_unit: dict[int, int] = defaultdict(int)
    for use_option, item_id, quantity, item_free in rows:
        if use_option is not None and use_option != option_id:
            continue  # another option's item (or, without an option, an option's)
        free[item_id] = int(item_free)
        per_unit[item_id] += quantity
    if not per_unit:
        return None
    return max(0, min(free[i] // per_unit[i] for i in per_unit))


def _reservation_needs(reservations: Sequence[Reservation]) -> tuple[list[Use], dict[int, int]]:
    uses = uses_of(r.offer_id for r in reservations)
    if not uses:
        return uses, {}
    return uses, needs(((r.offer_id, r.option_id, r.quantity) for r in reservations), uses)


def items_sell(*, order: Any, reservations: Sequence[Reservation]) -> list[Use]:
    """The units of a paid order leave the shipping place: one ``sold_online`` row per
    item (inside payment confirmation's transaction). Returns the uses, for numbering."""
    uses, need = _reservation_needs(reservations)
    if not need:
        return uses
    _ledger_write(order=order, need=need, reason=Reason.SOLD_ONLINE, note="", uses=uses)
    return uses


def items_restock(*, order: Any, reservations: Sequence[Reservation], note: str) -> None:
    """The units of an order refunded before it was shipped go back (``restocked``)."""
    uses, need = _reservation_needs(reservations)
    if need:
        _ledger_write(order=order, need=need, reason=Reason.RESTOCKED, note=note, uses=uses)


def _ledger_write(
    *, order: Any, need: dict[int, int], reason: str, note: str, uses: Sequence[Use]
) -> None:
    place_id = uses[0].place_id
    if place_id is None:
        place_id = stock_services.place_default(artist=order.artist).pk
    web_shop_record(
        artist_id=order.artist_id,
        place_id=place_id,
        quantities=need,
        reason=reason,
        reference_type="order",
        reference_id=order.code,
        note=note,
    )
