"""The web shop's stock movements: units sold online leave the order's place, units
restocked come back, each order's rows written at once on the payment's hot path."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.core.queries import insert_row, insert_rows
from disquaire.stock import services as ledger
from disquaire.stock.errors import StockError
from disquaire.stock.models import Movement, Reason


def web_shop_record(
    *,
    artist_id: int,
    place_id: int,
    quantities: dict[int, int],
    reason: str,
    reference_type: str,
    reference_id: str,
    note: str = "",
) -> None:
    """The web shop's movements of one order at once — ``sold_online`` from its place,
    or ``restocked`` to it — for {item id: units}: the balance rows locked in one
    statement (primary-key order), one INSERT of the rows, one UPDATE a balance.

    The units sold are held by the order's checkout, so only the balance itself must
    cover them; refused with ``StockError`` (nothing written) otherwise. A sale takes
    no lock beforehand (a relative update); a restock locks the rows as any movement. Call it inside
    the transaction of the order's change (no savepoint of its own: it is on the
    payment's hot path).
    """
    if reason not in (Reason.SOLD_ONLINE, Reason.RESTOCKED):
        raise StockError(_("Unknown reason for a stock movement."))
    for quantity in quantities.values():
        ledger.quantity_check(quantity)
    if not quantities:
        return
    # What every row of the order's movements shares, cut to the columns' sizes.
    ref = _Ref(
        artist_id=artist_id,
        place_id=place_id,
        reference_type=reference_type[:40],
        reference_id=str(reference_id)[:64],
        note=note[:500],
    )
    with transaction.atomic(savepoint=False):
        if reason == Reason.SOLD_ONLINE:
            for item_id, quantity in sorted(quantities.items()):
                _web_sale_write(ref, item_id=item_id, quantity=quantity)
            return
        locked = ledger.balances_lock(pairs=[(item_id, place_id) for item_id in quantities])
        insert_rows(
            [
                _movement(ref, item_id=item_id, quantity=quantity, reason=reason)
                for item_id, quantity in sorted(quantities.items())
            ]
        )
        for item_id, quantity in sorted(quantities.items()):
            ledger.balance_add(locked[(item_id, place_id)], quantity)


_T_MOVEMENT = Movement._meta.db_table


@dataclass(frozen=True, kw_only=True)
class _Ref:
    """The artist, the web shop's place and the order an order's movements share."""

    artist_id: int
    place_id: int
    reference_type: str
    reference_id: str
    note: str


def _movement(ref: _Ref, *, item_id: int, quantity: int, reason: str) -> Movement:
    """The web shop's ledger row: a sale leaves the place, a restock comes back to it."""
    sold = reason == Reason.SOLD_ONLINE
    return Movement(
        artist_id=ref.artist_id,
        item_id=item_id,
        quantity=quantity,
        from_place_id=ref.place_id if sold else None,
        to_place_id=None if sold else ref.place_id,
        reason=reason,
        reference_type=ref.reference_type,
        reference_id=ref.reference_id,
        note=ref.note,
    )


def _web_sale_write(ref: _Ref, *, item_id: int, quantity: int) -> None:
    """Units sold online leave the place: the balance goes down by ``quantity`` only if it
    has them, and the ledger row is written by the same statement (or neither is).

    A relative update, so it needs no lock taken beforehand: the row stays locked only
    for the rest of the payment's transaction, and checkouts (which count under the
    item's lock, reading balance and holds in one snapshot) never wait for it.
    """
    if connection.vendor != "postgresql":  # no UPDATE inside WITH: two statements
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ledger.T_BALANCE} SET quantity = quantity - %s "  # noqa: S608
                "WHERE item_id = %s AND place_id = %s AND quantity >= %s",
                [quantity, item_id, ref.place_id, quantity],
            )
            if cursor.rowcount != 1:
                raise StockError(_("The units sold are no longer at the web shop's place."))
        insert_row(_movement(ref, item_id=item_id, quantity=quantity, reason=Reason.SOLD_ONLINE))
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH b AS (UPDATE {ledger.T_BALANCE} SET quantity = quantity - %s "  # noqa: S608
            "WHERE item_id = %s AND place_id = %s AND quantity >= %s RETURNING item_id) "
            f"INSERT INTO {_T_MOVEMENT} (artist_id, item_id, quantity, from_place_id, "
            "to_place_id, reason, actor_id, created_at, reference_type, reference_id, note) "
            "SELECT %s, item_id, %s, %s, NULL, %s, NULL, %s, %s, %s, %s FROM b RETURNING id",
            [
                quantity,
                item_id,
                ref.place_id,
                quantity,
                ref.artist_id,
                quantity,
                ref.place_id,
                Reason.SOLD_ONLINE.value,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                ref.reference_type,
                ref.reference_id,
                ref.note,
            ],
        )
        written = cursor.fetchall()
    if not written:
        raise StockError(_("The units sold are no longer at the web shop's place."))
