"""Stock: what is left of an offer, holding units, turning holds into sales.

What is left of an offer (or of one option of it) is its stock minus the units of sold
reservations and of held reservations that have not expired. Anything that takes units
locks the offer and option rows first (in primary-key order, so two checkouts never
wait on each other crosswise), counts, then writes (lock → check → write). An offer
counted by its stock items alone is locked ``FOR SHARE`` (``stock_share``): its buyers
then queue on the items' rows (``orders.items``), not on the offer's. Numbered units get
their number when a reservation is consumed, under the same lock, so the numbers 1..N
are each used once.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.core.queries import Compiled, insert_rows, save_fields
from disquaire.orders import items as stock_items
from disquaire.orders.errors import SoldOut, StockChanged
from disquaire.orders.models import (
    EditionCounter,
    EditionUnit,
    ItemEditionCounter,
    Order,
    OrderLine,
    Reservation,
)
from disquaire.selling.models import Offer, OfferOption

M = TypeVar("M", bound=models.Model)

_LOCK_ROWS: dict[type[models.Model], Compiled[Any]] = {
    model: Compiled(
        lambda pks, model=model: (
            model._default_manager.filter(pk__in=pks).select_for_update(no_key=True).order_by("pk")
        )
    )
    for model in (Offer, OfferOption)
}


def lock_rows(model: type[M], pks: Sequence[int]) -> list[M]:
    """Lock the rows of ``model`` (an offer or an option) whose primary keys are ``pks``,
    in primary-key order, and return them.

    The one place rows are locked for stock: the concurrency tests replace it with a
    plain read to show that the race is real without it. ``FOR NO KEY UPDATE``: buyers
    still queue behind each other, but rows that merely reference the offer (order
    lines, reservations, inserted before the lock is taken) do not conflict with it —
    a plain ``FOR UPDATE`` would deadlock with their foreign-key share locks.
    """
    return list(_LOCK_ROWS[model].all(pks=list(pks)))


# Units held of one offer's (or one option's) stock: sold, or held and not expired.
# Written out (one statement, the same text every time): it runs on every add to a
# cart, every checkout and every offer shown, and the ORM took longer to compile it
# than the database to run it.
_HELD_SQL = {
    column: (
        f"SELECT COALESCE(SUM(quantity), 0) FROM {Reservation._meta.db_table} "  # noqa: S608
        f"WHERE {column} = %s AND (state = %s OR (state = %s AND expires_at > %s))"
    )
    for column in ("offer_id", "option_id")
}


def units_held(*, offer: Offer, option: OfferOption | None, now: datetime) -> int:
    """Units sold or held (unexpired) of ``option``'s stock, or of the offer's when None."""
    column, key = ("option_id", option.pk) if option is not None else ("offer_id", offer.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            _HELD_SQL[column],
            [
                key,
                Reservation.State.CONSUMED.value,
                Reservation.State.ACTIVE.value,
                connection.ops.adapt_datetimefield_value(now),
            ],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _limits(offer: Offer, option: OfferOption | None) -> list[tuple[str, int, OfferOption | None]]:
    """The stocks a unit of (offer, option) counts against: the offer's, the option's, both."""
    limits: list[tuple[str, int, OfferOption | None]] = []
    if offer.stock is not None:
        limits.append((f"offer:{offer.pk}", offer.stock, None))
    if option is not None and option.stock is not None:
        limits.append((f"option:{option.pk}", option.stock, option))
    return limits


def stock_lock(
    pairs: Iterable[tuple[int, int | None]],
) -> tuple[dict[int, Offer], dict[int, OfferOption]]:
    """Lock the offer rows, then the option rows, each in primary-key order."""
    pairs = list(pairs)
    offer_ids = sorted({offer_id for offer_id, _ in pairs})
    option_ids = sorted({option_id for _, option_id in pairs if option_id is not None})
    offers = {o.pk: o for o in lock_rows(Offer, offer_ids)}
    options = {o.pk: o for o in lock_rows(OfferOption, option_ids)} if option_ids else {}
    return offers, options


def stock_share(pairs: Iterable[tuple[int, int | None]]) -> None:
    """Lock the offer rows, then the option rows, in primary-key order, ``FOR SHARE``: for
    offers without a stock of their own (their items' rows are what buyers queue on),
    so that a band giving one a stock meanwhile waits for the checkouts under way, and
    they for it. Raises StockChanged (roll the order back) if one has a stock now: it
    must be checked out under ``stock_lock``. Call inside a transaction."""
    pairs = list(pairs)
    for model, ids in (
        (Offer, sorted({offer_id for offer_id, _option in pairs})),
        (OfferOption, sorted({option_id for _offer, option_id in pairs if option_id is not None})),
    ):
        if not ids:
            continue
        lock = " FOR SHARE" if connection.features.has_select_for_update else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT stock FROM {model._meta.db_table} "  # noqa: S608
                f"WHERE id IN ({', '.join(['%s'] * len(ids))}) ORDER BY id{lock}",
                ids,
            )
            if any(stock is not None for (stock,) in cursor.fetchall()):
                raise StockChanged(
                    _("What is left of this item has just changed: please confirm again.")
                )


def stock_check(
    wanted: Sequence[tuple[Offer, OfferOption | None, int]],
    now: datetime,
    uses: Sequence[stock_items.Use] | None = None,
) -> None:
    """Raise SoldOut unless every (offer, option, quantity) fits; call with the rows locked
    (``uses``: the items the offers use, when the caller read them already)."""
    need: dict[str, int] = defaultdict(int)
    meta: dict[str, tuple[Offer, OfferOption | None, int]] = {}
    for offer, option, quantity in wanted:
        for key, stock, limit_option in _limits(offer, option):
            need[key] += quantity
            meta[key] = (offer, limit_option, stock)
    for key, quantity in need.items():
        offer, limit_option, stock = meta[key]
        left = stock - units_held(offer=offer, option=limit_option, now=now)
        if quantity > left:
            if left <= 0:
                raise SoldOut(_("%(title)s is sold out.") % {"title": offer.title})
            raise SoldOut(
                _("Only %(left)d of %(title)s left.") % {"left": left, "title": offer.title}
            )
    # Then the items the offers use, at the place the web shop ships from (their balance
    # rows are locked after the offer rows).
    stock_items.items_check(wanted, now, uses)


def _lapsed(reservations: Sequence[Reservation], now: datetime) -> list[Reservation]:
    """The holds that no longer hold their units: released, or expired by ``now``."""
    return [
        r
        for r in reservations
        if r.state != Reservation.State.CONSUMED
        and (r.state == Reservation.State.RELEASED or r.expires_at <= now)
    ]


def _number(reservations: Sequence[Reservation], uses: Sequence[stock_items.Use] = ()) -> None:
    """Give the units of numbered items (or, for an offer using none, of a numbered
    offer) their numbers; each counter row stays locked until the commit."""
    numbered = {u.item_id for u in uses if u.numbered}
    for reservation in reservations:
        item_uses = [
            u
            for u in uses
            if u.offer_id == reservation.offer_id
            and u.applies(reservation.option_id)
            and u.item_id in numbered
        ]
        if item_uses:
            _number_items(reservation, item_uses)
            continue
        if not reservation.offer.numbered:
            continue
        line = reservation.line
        if connection.vendor == "postgresql":
            line.edition_numbers = _numbers_take_and_write(
                reservation.offer_id, reservation.quantity, line.pk
            )
            continue
        numbers = _numbers_take(reservation.offer_id, reservation.quantity)
        line.edition_numbers = numbers
        save_fields(line, ["edition_numbers"])
        insert_rows(
            [EditionUnit(offer_id=reservation.offer_id, number=n, line=line) for n in numbers]
        )


_ORDER_RESERVATIONS = Compiled(
    lambda order_id: (
        Reservation.objects.filter(line__order_id=order_id)
        .select_related("line", "offer")
        .order_by("pk")
    )
)


def order_reservations(order: Order) -> list[Reservation]:
    return _ORDER_RESERVATIONS.all(order_id=order.pk)


def reservations_consume(order: Order) -> bool:
    """Turn the order's holds into sales and number the units; False if a unit is gone.

    Called inside payment confirmation's transaction. A hold that expired (or was
    released) is taken again only when the stock still has the units.
    """
    reservations = order_reservations(order)
    offers, options = stock_lock((r.offer_id, r.option_id) for r in reservations)
    # The clock is read once the rows are locked: a hold that expires while we waited
    # may already have been counted as free by the buyer before us.
    now = timezone.now()
    lapsed = _lapsed(reservations, now)
    if lapsed:
        try:
            stock_check(
                [
                    (offers[r.offer_id], options[r.option_id] if r.option_id else None, r.quantity)
                    for r in lapsed
                ],
                now,
            )
        except SoldOut:
            return False
    todo = [r for r in reservations if r.state != Reservation.State.CONSUMED]
    _consume([r.pk for r in todo])
    uses = stock_items.items_sell(order=order, reservations=todo)
    _number(todo, uses)
    return True


# A hold with at least this long to live when its payment is confirmed cannot lapse before
# the confirmation commits: each of its lock waits is bounded (settings'
# DB_LOCK_TIMEOUT_SECONDS, on every PostgreSQL connection), and it checks the clock
# again at its end (HoldLapsed) whatever the margin.
HOLD_MARGIN = timedelta(seconds=max(60, 6 * settings.DB_LOCK_TIMEOUT_SECONDS))


class HoldLapsed(RuntimeError):
    """A confirmation took so long that a hold it counted on expired: roll it all back."""


def holds_valid(reservations: Sequence[Reservation], now: datetime) -> bool:
    """True when every hold is active and will be for longer than ``HOLD_MARGIN``."""
    return bool(reservations) and all(
        r.state == Reservation.State.ACTIVE and r.expires_at > now + HOLD_MARGIN
        for r in reservations
    )


def _number_items(reservation: Reservation, uses: Sequence[stock_items.Use]) -> None:
    """Numbers of the stock items the reservation's units use: 1..N per item, whichever
    offer sells them."""
    line = reservation.line
    if connection.vendor == "postgresql" and len(uses) == 1:
        line.edition_numbers = _numbers_take_and_write(
            reservation.offer_id,
            reservation.quantity * uses[0].quantity,
            line.pk,
            item_id=uses[0].item_id,
        )
        return
    numbers: list[int] = []
    units: list[EditionUnit] = []
    for use in sorted(uses, key=lambda u: u.item_id):
        taken = _numbers_take(
            use.item_id, reservation.quantity * use.quantity, counter=ItemEditionCounter
        )
        numbers += taken
        units += [
            EditionUnit(offer_id=reservation.offer_id, item_id=use.item_id, number=n, line=line)
            for n in taken
        ]
    line.edition_numbers = numbers
    save_fields(line, ["edition_numbers"])
    insert_rows(units)


def _numbers_take(
    offer_id: int, quantity: int, counter: type[models.Model] = EditionCounter
) -> list[int]:
    """The next ``quantity`` numbers of a numbered offer.

    One statement locks the offer's counter row (creating it at the first number),
    counts and writes: an upsert with ``RETURNING``. Buyers being numbered queue on that
    row until they commit; checkouts, which lock the offer row, do not wait for them.
    """
    table = connection.ops.quote_name(counter._meta.db_table)
    key = "item_id" if counter is ItemEditionCounter else "offer_id"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key}, issued) VALUES (%s, %s) "  # noqa: S608
            f"ON CONFLICT ({key}) DO UPDATE SET issued = {table}.issued + excluded.issued "
            "RETURNING issued",
            [offer_id, quantity],
        )
        last = int(cursor.fetchone()[0])
    return list(range(last - quantity + 1, last + 1))


def _consume(pks: Sequence[int]) -> None:
    """Holds → sold, in one UPDATE written out (the same text for the same count)."""
    if not pks:
        return
    table = connection.ops.quote_name(Reservation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET state = %s WHERE id IN ({', '.join(['%s'] * len(pks))})",  # noqa: S608
            [Reservation.State.CONSUMED.value, *pks],
        )


def _numbers_take_and_write(
    offer_id: int, quantity: int, line_id: int, *, item_id: int | None = None
) -> list[int]:
    """``_numbers_take``, the units and the line's numbers in one statement (PostgreSQL):
    the counter row stays locked only for the commit after it, not for two more round
    trips. With ``item_id``, the numbers are the stock item's (its own counter)."""
    by_item = item_id is not None
    counter = connection.ops.quote_name(
        (ItemEditionCounter if by_item else EditionCounter)._meta.db_table
    )
    key = "item_id" if by_item else "offer_id"
    units = connection.ops.quote_name(EditionUnit._meta.db_table)
    lines = connection.ops.quote_name(OrderLine._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH c AS (INSERT INTO {counter} ({key}, issued) VALUES (%s, %s) "  # noqa: S608
            f"ON CONFLICT ({key}) DO UPDATE SET issued = {counter}.issued + excluded.issued "
            "RETURNING issued), "
            "n AS (SELECT g AS number FROM c, generate_series(c.issued - %s + 1, c.issued) g), "
            f"u AS (INSERT INTO {units} (offer_id, item_id, number, line_id) "
            "SELECT %s, %s, number, %s FROM n) "
            f"UPDATE {lines} SET edition_numbers = "
            "(SELECT jsonb_agg(number ORDER BY number) FROM n) WHERE id = %s "
            "RETURNING edition_numbers",
            [
                item_id if by_item else offer_id,
                quantity,
                quantity,
                offer_id,
                item_id,
                line_id,
                line_id,
            ],
        )
        row = cursor.fetchone()
    numbers = row[0] if row else None
    if isinstance(numbers, str):  # a driver that hands jsonb back as text
        numbers = json.loads(numbers)
    return [int(n) for n in numbers or []]


def reservations_consume_held(reservations: Sequence[Reservation], *, order: Order) -> None:
    """Turn holds that ``holds_valid`` vouched for into sales, numbering their units.

    No stock row needs locking to count: every one of these units is held, and stays
    counted as held by every other buyer until this commits. The items they use leave
    the shipping place (``sold_online``; their balance rows are locked to write it).
    Numbered items and offers take their counter's row lock last, for the shortest time
    (the numbering, then the commit) — so buyers of a limited edition queue behind each
    other for little more than the commit.
    Raises HoldLapsed if, against ``HOLD_MARGIN``, a hold expired meanwhile.
    """
    _consume([r.pk for r in reservations])
    # The units leave the shipping place (its balance rows locked), then the numbers.
    uses = stock_items.items_sell(order=order, reservations=reservations)
    _number(reservations, uses)
    if timezone.now() >= min(r.expires_at for r in reservations):
        raise HoldLapsed("a hold expired while its payment was being confirmed")


def reservations_release(order: Order) -> None:
    Reservation.objects.filter(line__order=order, state=Reservation.State.ACTIVE).update(
        state=Reservation.State.RELEASED
    )
