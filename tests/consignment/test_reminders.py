"""Reminders at 30/60/90 quiet days, units unsold too long, the desk and the stats."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from disquaire.backstage.desk import desk_settlements_due
from disquaire.backstage.stats import chart_build
from disquaire.consignment.reminders import reminders_send
from disquaire.consignment.selectors import shop_summary
from disquaire.consignment.services import Line, consignment_place, sales_report
from disquaire.stock.models import Item
from disquaire.stock.services import movement_record
from tests.consignment.conftest import Band

pytestmark = pytest.mark.django_db


def _morning(days: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(9)))


def test_reminders_go_once_per_threshold(band: Band) -> None:
    consignment_place(shop=band.shop, item=band.item, quantity=5, price_minor=1000)
    assert reminders_send(now=_morning(29)) == 0
    assert reminders_send(now=_morning(31)) == 1
    assert reminders_send(now=_morning(32)) == 0
    assert len(mail.outbox) == 1
    assert band.shop.name in mail.outbox[0].subject
    assert mail.outbox[0].to == [band.user.email]
    assert f"/shops/{band.shop.pk}/" in mail.outbox[0].body
    assert reminders_send(now=_morning(61)) == 1
    assert reminders_send(now=_morning(95)) == 1
    assert [r.days for r in band.shop.reminders.order_by("sent_at", "pk")] == [30, 60, 90]


def test_a_report_restarts_the_quiet_spell(band: Band) -> None:
    consignment_place(shop=band.shop, item=band.item, quantity=5, price_minor=1000)
    sales_report(shop=band.shop, lines=[Line(band.item, 1)])
    summary = shop_summary(shop=band.shop, today=timezone.localdate() + timedelta(days=10))
    assert summary.quiet_days == 10 and summary.reminder is None


def test_no_reminder_for_a_shop_holding_nothing_and_owing_nothing(band: Band) -> None:
    assert reminders_send(now=_morning(40)) == 0
    assert mail.outbox == []


def test_units_unsold_for_180_days_are_flagged_and_on_the_desk(band: Band) -> None:
    consignment_place(shop=band.shop, item=band.item, quantity=5, price_minor=1000)
    later = timezone.localdate() + timedelta(days=181)
    summary = shop_summary(shop=band.shop, today=later)
    assert summary.stale == 1 and summary.lines[0].stale
    assert shop_summary(shop=band.shop).stale == 0


def test_the_desk_lists_quiet_shops(band: Band, monkeypatch: pytest.MonkeyPatch) -> None:
    consignment_place(shop=band.shop, item=band.item, quantity=5, price_minor=1000)
    assert desk_settlements_due(artist=band.artist) == []
    later = timezone.now() + timedelta(days=45)
    monkeypatch.setattr(timezone, "now", lambda: later)
    items = desk_settlements_due(artist=band.artist)
    assert len(items) == 1
    assert band.shop.name in items[0]["label"]
    assert items[0]["url"] == reverse(
        "backstage:consignment_shop", args=[band.artist.slug, band.shop.pk]
    )


def test_sales_by_channel_counts_shops_and_the_merch_table(band: Band) -> None:
    consignment_place(shop=band.shop, item=band.item, quantity=5, price_minor=1000)
    sales_report(shop=band.shop, lines=[Line(band.item, 2)])
    movement_record(item=band.item, quantity=4, reason="sold_table", from_place=band.home)
    Item.objects.create(artist=band.artist, name="Badge")
    chart = chart_build(key="channels", artist=band.artist)
    month = f"{timezone.localdate():%Y-%m}"
    assert chart.rows == [(f"{month} — {band.release.title}", [0, 4, 2, 6])]
    csv = band.client.get(reverse("backstage:stats_csv", args=[band.artist.slug, "channels"]))
    assert "Shops" in csv.content.decode().splitlines()[0]
