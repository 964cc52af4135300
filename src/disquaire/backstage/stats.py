"""The band's figures, read from what the instance records, and drawn as plain SVG.

Each chart is a ``Chart``: a title, a sentence saying what is counted (and what is not),
and rows of (label, values). The same rows feed the SVG, the table beside it (for screen
readers and for anyone who prefers numbers) and the CSV download, so the three never
disagree. Drawing is done here, in Python, into SVG shapes: no JavaScript library, no
CDN, no inline style (colours come from backstage.css classes); the shapes are worked out
in ``backstage.stats_svg``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count, Model, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disquaire.backstage.stats_svg import svg_bars, svg_timeline
from disquaire.catalog.models import Artist, Release
from disquaire.consignment.selectors import units_sold_offline_by_month
from disquaire.core.csvsafe import csv_text
from disquaire.core.money import Money
from disquaire.core.replica import reporting_db
from disquaire.delivery.models import TrackDownloadDay
from disquaire.orders.models import Order, OrderLine, OrderState
from disquaire.orders.selectors import orders_real
from disquaire.storefront.models import TrackPlayDay

SOLD_STATES = (OrderState.PAID, OrderState.FULFILLED)
DAYS = 90
MAX_ROWS = 20

CHARTS: dict[str, Any] = {
    "sales": gettext_lazy("Sales per day"),
    "offers": gettext_lazy("Sales by offer"),
    "channels": gettext_lazy("Sales by channel"),
    "countries": gettext_lazy("Sales by country"),
    "origins": gettext_lazy("Sales by origin"),
    "plays": gettext_lazy("Plays"),
    "downloads": gettext_lazy("Downloads"),
}


@dataclass
class Chart:
    key: str
    title: str
    description: str
    columns: list[str]
    rows: list[tuple[str, list[Any]]]
    # Which value column the bars show, and how to print a value of it.
    bar_column: int = 0
    money_columns: tuple[int, ...] = ()
    currency: str = "EUR"
    timeline: bool = False
    svg: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(values[self.bar_column] for _label, values in self.rows)

    def cell(self, index: int, value: Any) -> str:
        if index in self.money_columns:
            return Money(int(value), self.currency).format()
        return str(value)

    @property
    def table(self) -> list[tuple[str, list[str]]]:
        return [
            (label, [self.cell(i, v) for i, v in enumerate(values)]) for label, values in self.rows
        ]


def orders_sold(artist: Artist, using: str = DEFAULT_DB_ALIAS) -> QuerySet[Order]:
    """The artist's sales in its currency: paid or sent orders (test orders moved no
    money: never sales). The stats and the desk count from here."""
    return orders_real(
        Order.objects.using(using).filter(
            artist=artist, state__in=SOLD_STATES, currency=artist.currency
        )
    )


def chart_sales(
    *, artist: Artist, today: date | None = None, using: str = DEFAULT_DB_ALIAS
) -> Chart:
    """Orders and revenue per day over the last 90 days (every day, zeros included)."""
    today = today or timezone.localdate()
    start = today - timedelta(days=DAYS - 1)
    per_day = {
        row["day"]: row
        for row in orders_sold(artist, using)
        .filter(paid_at__date__gte=start)
        .annotate(day=TruncDate("paid_at"))
        .values("day")
        .annotate(orders=Count("pk"), revenue=Coalesce(Sum("total_minor"), 0))
    }
    rows = []
    for offset in range(DAYS):
        day = start + timedelta(days=offset)
        found = per_day.get(day, {})
        rows.append((day.isoformat(), [found.get("orders", 0), found.get("revenue", 0)]))
    return Chart(
        key="sales",
        title=str(CHARTS["sales"]),
        description=_(
            "Paid orders and their totals (shipping included) per day, last %(days)s days."
        )
        % {"days": DAYS},
        columns=[_("Day"), _("Orders"), _("Revenue")],
        rows=rows,
        money_columns=(1,),
        currency=artist.currency,
        timeline=True,
    )


def _ranked(rows: list[tuple[str, list[Any]]], column: int) -> list[tuple[str, list[Any]]]:
    rows.sort(key=lambda r: (-r[1][column], r[0]))
    return rows[:MAX_ROWS]


def _lines_sold(*, artist: Artist, using: str) -> QuerySet[OrderLine]:
    """The lines of the artist's real orders sold (paid or fulfilled) in its currency."""
    return OrderLine.objects.using(using).filter(
        order__artist=artist,
        order__state__in=SOLD_STATES,
        order__currency=artist.currency,
        order__is_test=False,
    )


def chart_offers(*, artist: Artist, using: str = DEFAULT_DB_ALIAS) -> Chart:
    lines = (
        _lines_sold(artist=artist, using=using)
        .values("offer_id", "offer__title")
        .annotate(units=Coalesce(Sum("quantity"), 0), revenue=Coalesce(Sum("total_minor"), 0))
    )
    rows = [(str(r["offer__title"]), [r["units"], r["revenue"]]) for r in lines]
    return Chart(
        key="offers",
        title=str(CHARTS["offers"]),
        description=_("Units sold and item revenue (without shipping) per offer, all time."),
        columns=[_("Offer"), _("Units"), _("Revenue")],
        rows=_ranked(rows, 0),
        money_columns=(1,),
        currency=artist.currency,
    )


CHANNEL_ROWS = 36


def _month(value: Any) -> date:
    if isinstance(value, datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def chart_channels(*, artist: Artist, using: str = DEFAULT_DB_ALIAS) -> Chart:
    """Units sold per release and month by channel: online (paid orders), at the merch
    table (stock's ``sold_table``) and by shops (``sold_by_shop``)."""
    online = (
        _lines_sold(artist=artist, using=using)
        .annotate(month=TruncMonth("order__paid_at"))
        .values("release_id", "month")
        .annotate(units=Coalesce(Sum("quantity"), 0))
    )
    found: dict[tuple[int | None, date], list[int]] = {}
    for row in online:
        if row["month"] is None:
            continue
        key = (row["release_id"], _month(row["month"]))
        found.setdefault(key, [0, 0, 0])[0] += int(row["units"])
    offline = units_sold_offline_by_month(artist=artist, using=using)
    for key, counts in offline.items():
        entry = found.setdefault(key, [0, 0, 0])
        entry[1] += counts["sold_table"]
        entry[2] += counts["sold_by_shop"]
    titles = dict(
        Release.objects.using(using)
        .filter(pk__in=[k[0] for k in found if k[0]])
        .values_list("pk", "title")
    )
    other = _("other items")
    keys = sorted(found, key=lambda k: (-k[1].toordinal(), titles.get(k[0] or 0, other)))
    rows = [
        (
            f"{k[1]:%Y-%m} — {titles.get(k[0] or 0, other)}",
            [*found[k], sum(found[k])],
        )
        for k in keys[:CHANNEL_ROWS]
    ]
    return Chart(
        key="channels",
        title=str(CHARTS["channels"]),
        description=_(
            "Units sold per month and release: online (paid orders), at the merch table and "
            "by shops on consignment (as they report them), newest month first."
        ),
        columns=[_("Month — release"), _("Online"), _("Merch table"), _("Shops"), _("Total")],
        rows=rows,
        bar_column=3,
    )


def chart_countries(*, artist: Artist, using: str = DEFAULT_DB_ALIAS) -> Chart:
    found = orders_sold(artist, using).values("ship_country").annotate(orders=Count("pk"))
    unknown = _("unknown (digital)")
    rows = [(str(r["ship_country"] or unknown), [r["orders"]]) for r in found]
    return Chart(
        key="countries",
        title=str(CHARTS["countries"]),
        description=_(
            "Paid orders by shipping country; digital orders have no address, so their "
            "country is unknown."
        ),
        columns=[_("Country"), _("Orders")],
        rows=_ranked(rows, 0),
    )


def chart_origins(*, artist: Artist, using: str = DEFAULT_DB_ALIAS) -> Chart:
    found = (
        orders_sold(artist, using)
        .values("referrer", "campaign")
        .annotate(orders=Count("pk"), revenue=Coalesce(Sum("total_minor"), 0))
    )
    totals: dict[str, list[int]] = {}
    for r in found:
        fallback = r["referrer"] or _("direct or unknown")
        label = f"ref={r['campaign']}" if r["campaign"] else fallback
        entry = totals.setdefault(label, [0, 0])
        entry[0] += r["orders"]
        entry[1] += r["revenue"]
    return Chart(
        key="origins",
        title=str(CHARTS["origins"]),
        description=_(
            "Paid orders by where the buyer came from: the ?ref= tag of your links "
            "(e.g. ?ref=poster) or else the site that linked to you."
        ),
        columns=[_("Origin"), _("Orders"), _("Revenue")],
        rows=_ranked([(k, v) for k, v in totals.items()], 0),
        money_columns=(1,),
        currency=artist.currency,
    )


def _per_track_rows(model: type[Model], *, field: str, artist: Artist, using: str) -> list[Any]:
    """Rows "Release — N. Title" with the sum of a per-track day counter."""
    found = (
        model._default_manager.using(using)
        .filter(track__release__artist=artist)
        .values("track__release__title", "track__position", "track__title")
        .annotate(total=Coalesce(Sum(field), 0))
    )
    rows = [
        (
            f"{r['track__release__title']} — {r['track__position']}. {r['track__title']}",
            [r["total"]],
        )
        for r in found
    ]
    return _ranked(rows, 0)


# The charts of a per-track day counter: its model and field, what the chart counts.
PER_TRACK: dict[str, tuple[type[Model], str, Any]] = {
    "plays": (TrackPlayDay, "plays", gettext_lazy(
        "Plays per track: each time the player (on your pages or in an embed) starts a "
        "track. No listener is recorded, only the count."
    )),
    "downloads": (TrackDownloadDay, "downloads", gettext_lazy(
        "Downloads per track, a file on its own or inside a release's zip (a resumed "
        "download is not counted twice)."
    )),
}  # fmt: skip


def _per_track_chart(key: str, *, artist: Artist, using: str = DEFAULT_DB_ALIAS) -> Chart:
    """A chart of ``PER_TRACK``: its column is named as the chart."""
    model, field_name, description = PER_TRACK[key]
    return Chart(
        key=key,
        title=str(CHARTS[key]),
        description=str(description),
        columns=[_("Track"), str(CHARTS[key])],
        rows=_per_track_rows(model, field=field_name, artist=artist, using=using),
    )


BUILDERS: dict[str, Callable[..., Chart]] = {
    "sales": chart_sales,
    "offers": chart_offers,
    "channels": chart_channels,
    "countries": chart_countries,
    "origins": chart_origins,
    "plays": partial(_per_track_chart, "plays"),
    "downloads": partial(_per_track_chart, "downloads"),
}


def chart_build(*, key: str, artist: Artist, using: str | None = None) -> Chart:
    """One chart, read from the read replica when one may be used (core.replica)."""
    chart: Chart = BUILDERS[key](artist=artist, using=using or reporting_db())
    chart.svg = svg_timeline(chart) if chart.timeline else svg_bars(chart)
    return chart


def chart_csv(*, chart: Chart) -> str:
    """The chart's rows as CSV; amounts as decimals in the artist's currency."""
    return csv_text(
        header=chart.columns,
        rows=(
            [
                label,
                *(
                    Money(int(v), chart.currency).decimal if i in chart.money_columns else v
                    for i, v in enumerate(values)
                ),
            ]
            for label, values in chart.rows
        ),
    )
