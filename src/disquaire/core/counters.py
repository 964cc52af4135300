"""Counts per thing and day (plays, downloads): one UPDATE, or the day's first row."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
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
