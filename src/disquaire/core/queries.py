"""Small query helpers for the hot paths (checkout, payment, downloads)."""

from __future__ import annotations

from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def only_row(queryset: models.QuerySet[M]) -> M | None:
    """The row of a query that matches one at most (by primary key or a unique field),
    or None.

    Unlike ``first()`` it sends no ORDER BY: ordering by the model's ``Meta.ordering``
    makes Django match every ordering term against every selected column, and with a
    few ``select_related`` that compilation costs more CPU than the query itself.
    """
    found = list(queryset.order_by()[:1])
    return found[0] if found else None
