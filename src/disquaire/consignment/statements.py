"""Statements: the sales a shop reported, settled and numbered; the payments marked."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.consignment.errors import ConsignmentError
from disquaire.consignment.models import (
    Sale,
    Shop,
    Statement,
)
from disquaire.core.audit import activity_record


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
