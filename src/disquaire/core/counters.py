"""Counts per thing and day (plays, downloads): one UPDATE, or the day's first row; or,
for many things at once (a zip's tracks), one upsert."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, connections, models, router, transaction
from django.db.models import F
from django.utils import timezone


def day_count_add(model: type[models.Model], *, field: str, **keys: Any) -> None:
    """Add one to ``field`` of ``model``'s row for ``keys`` and today.

    ``model`` has a unique constraint on the keys plus ``day``. Concurrent calls never
    lose a count: the increment is done by the database, and a race to create the day's
    row ends with the loser incrementing the winner's row.
    """
    today = timezone.localdate()
    rows = model._default_manager.filter(day=today, **keys)
    if rows.update(**{field: F(field) + 1}):
        return
    try:
        with transaction.atomic():
            model._default_manager.create(day=today, **{field: 1}, **keys)
    except IntegrityError:
        rows.update(**{field: F(field) + 1})


def day_counts_add(model: type[models.Model], *, field: str, key: str, ids: Iterable[int]) -> None:
    """Add one to ``field`` of ``model``'s row for today for each of ``ids`` (values of
    the foreign key ``key``; an id given twice counts twice), in one statement.

    ``model`` has a unique constraint on ``key`` plus ``day``. One INSERT … ON CONFLICT
    DO UPDATE (PostgreSQL and SQLite both say it so) creates the day's missing rows and
    adds to the others: concurrent calls never lose a count, as with ``day_count_add``,
    and the rows are written in id order, so two of them never wait on each other in a
    circle.
    """
    counts = sorted(Counter(ids).items())
    if not counts:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key_column, day_column, count_column = (
        quote(_column(model, name)) for name in (key, "day", field)
    )
    today = connection.ops.adapt_datefield_value(timezone.localdate())
    rows = ", ".join(["(%s, %s, %s)"] * len(counts))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, {day_column}, {count_column}) "  # noqa: S608
            f"VALUES {rows} ON CONFLICT ({key_column}, {day_column}) "
            f"DO UPDATE SET {count_column} = {table}.{count_column} + excluded.{count_column}",
            [value for pk, n in counts for value in (pk, today, n)],
        )


def _column(model: type[models.Model], name: str) -> str:
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field) and found.column, name
    return str(found.column)
