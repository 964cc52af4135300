"""Consignment reads: each shop's figures, its lines (placed, sold, returned, left,
sell-through), statements, what to remind the band of, and the public "where to buy in
person" lists the storefront shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone

from disquaire.catalog.models import Artist, Release
from disquaire.consignment.models import Consignment, Report, Sale, Shop, Statement
from disquaire.core.money import Money
from disquaire.stock.models import Balance, Movement
from disquaire.stock.selectors import ledger

# Days without a report or a settlement after which the band is reminded.
REMINDER_DAYS = (30, 60, 90)
# Units left this long without a sale are flagged for collection.
STALE_DAYS = 180


@dataclass
class ShopLine:
    consignment: Consignment
    placed: int
    sold: int
    returned: int
    left: int
    last_sale: datetime | None
    stale: bool

    @property
    def item(self) -> Any:
        return self.consignment.item

    @property
    def sell_through(self) -> int | None:
        """Sold as a whole percentage of what was placed (None when nothing was)."""
        if not self.placed:
            return None
        return round(100 * self.sold / self.placed)


@dataclass
class ShopSummary:
    shop: Shop
    out: int
    sold: int
    placed: int
    unsettled_minor: int
    balance_minor: int
    quiet_days: int | None
    stale: int
    currency: str = "EUR"
    lines: list[ShopLine] = field(default_factory=list)

    @property
    def due_minor(self) -> int:
        """What the shop owes: sales not yet on a statement, and statements not paid."""
        return self.unsettled_minor + self.balance_minor

    @property
    def due(self) -> Money:
        return Money(self.due_minor, self.currency)

    @property
    def reminder(self) -> int | None:
        """The highest reminder threshold passed (30, 60, 90 days), if any."""
        if self.quiet_days is None or not (self.out or self.due_minor):
            return None
        passed = [d for d in REMINDER_DAYS if self.quiet_days >= d]
        return passed[-1] if passed else None

    @property
    def sell_through(self) -> int | None:
        if not self.placed:
            return None
        return round(100 * self.sold / self.placed)


def shops_for_artist(*, artist: Artist) -> QuerySet[Shop]:
    return Shop.objects.filter(artist=artist).select_related("place").order_by("name", "pk")


def shop_for_artist(*, artist: Artist, shop_id: int) -> Shop:
    return get_object_or_404(shops_for_artist(artist=artist), pk=shop_id)


def _movement_sums(shop: Shop) -> dict[tuple[int, str], int]:
    rows = (
        Movement.objects.filter(Q(to_place=shop.place) | Q(from_place=shop.place))
        .values("item_id", "reason", "to_place_id")
        .annotate(n=Sum("quantity"))
    )
    sums: dict[tuple[int, str], int] = {}
    for row in rows:
        direction = "in" if row["to_place_id"] == shop.place_id else "out"
        key = (row["item_id"], f"{direction}:{row['reason']}")
        sums[key] = sums.get(key, 0) + int(row["n"] or 0)
    return sums


def shop_lines(*, shop: Shop, now: datetime | None = None) -> list[ShopLine]:
    """Per item the shop carries: units placed there, sold by it, taken back, left now,
    the last sale, and whether units have waited too long without one."""
    now = now or timezone.now()
    sums = _movement_sums(shop)
    left = dict(Balance.objects.filter(place=shop.place).values_list("item_id", "quantity"))
    last_sales = dict(
        Sale.objects.filter(shop=shop)
        .values("item_id")
        .annotate(at=Max("created_at"))
        .values_list("item_id", "at")
    )
    last_placed = dict(
        Movement.objects.filter(to_place=shop.place, reason="consigned")
        .values("item_id")
        .annotate(at=Max("created_at"))
        .values_list("item_id", "at")
    )
    lines = []
    for consignment in shop.consignments.select_related("item").order_by("item__name", "pk"):
        item_id = consignment.item_id
        placed = sums.get((item_id, "in:consigned"), 0)
        sold = sums.get((item_id, "out:sold_by_shop"), 0)
        returned = sums.get((item_id, "out:returned"), 0)
        units = int(left.get(item_id, 0))
        last_sale = last_sales.get(item_id)
        since = last_sale or last_placed.get(item_id) or consignment.created_at
        lines.append(
            ShopLine(
                consignment=consignment,
                placed=placed,
                sold=sold,
                returned=returned,
                left=units,
                last_sale=last_sale,
                stale=bool(units) and (now - since) > timedelta(days=STALE_DAYS),
            )
        )
    return lines


def shop_quiet_since(*, shop: Shop) -> date | None:
    """The day of the shop's last report or statement, else of its first placing (None
    when nothing was ever placed)."""
    last_report = shop.reports.aggregate(at=Max("created_at"))["at"]
    last_statement = shop.statements.aggregate(at=Max("created_at"))["at"]
    moments = [m for m in (last_report, last_statement) if m is not None]
    if not moments:
        first = Movement.objects.filter(to_place=shop.place, reason="consigned").aggregate(
            at=Min("created_at")
        )["at"]
        if first is None:
            return None
        moments = [first]
    return timezone.localdate(max(moments))


def shop_summary(*, shop: Shop, today: date | None = None) -> ShopSummary:
    """The shop's figures as of ``today`` (the local date by default)."""
    now = timezone.now()
    if today is not None and today != timezone.localdate(now):
        now = timezone.make_aware(datetime.combine(today, time(12)))
    today = timezone.localdate(now)
    lines = shop_lines(shop=shop, now=now)
    unsettled = Sale.objects.filter(shop=shop, statement__isnull=True).values_list(
        "quantity", "share_minor"
    )
    statements = shop.statements.aggregate(due=Sum("due_minor"), paid=Sum("paid_minor"))
    since = shop_quiet_since(shop=shop)
    return ShopSummary(
        shop=shop,
        out=sum(line.left for line in lines),
        sold=sum(line.sold for line in lines),
        placed=sum(line.placed for line in lines),
        unsettled_minor=sum(q * s for q, s in unsettled),
        balance_minor=int(statements["due"] or 0) - int(statements["paid"] or 0),
        quiet_days=(today - since).days if since else None,
        stale=sum(1 for line in lines if line.stale),
        currency=shop.artist.currency,
        lines=lines,
    )


def shop_summaries(*, artist: Artist, today: date | None = None) -> list[ShopSummary]:
    return [shop_summary(shop=shop, today=today) for shop in shops_for_artist(artist=artist)]


def shop_reports(*, shop: Shop, limit: int = 20) -> list[Report]:
    return list(
        shop.reports.select_related("actor")
        .prefetch_related("sales__item")
        .order_by("-created_at", "-pk")[:limit]
    )


def shop_movements(*, shop: Shop, limit: int = 30) -> list[Movement]:
    """The stock ledger's lines at the shop (placed, sold, taken back), newest first."""
    return list(ledger(artist=shop.artist, place=shop.place)[:limit])


def shop_statements(*, shop: Shop) -> QuerySet[Statement]:
    return shop.statements.order_by("-period_end", "-pk")


def statement_for_shop(*, shop: Shop, statement_id: int) -> Statement:
    return get_object_or_404(
        Statement.objects.select_related("shop__artist"), shop=shop, pk=statement_id
    )


def sales_unsettled(*, shop: Shop) -> QuerySet[Sale]:
    return Sale.objects.filter(shop=shop, statement__isnull=True).select_related("item")


@dataclass
class StatementLine:
    item: str
    units: int
    price_minor: int
    share_minor: int

    @property
    def sales_minor(self) -> int:
        return self.units * self.price_minor

    @property
    def due_minor(self) -> int:
        return self.units * self.share_minor


def statement_lines(*, statement: Statement) -> list[StatementLine]:
    """Units sold per item and price (a price change splits an item in two lines)."""
    rows = (
        statement.sales.values("item__name", "price_minor", "share_minor")
        .annotate(units=Sum("quantity"))
        .order_by("item__name", "price_minor", "share_minor")
    )
    return [
        StatementLine(
            item=row["item__name"],
            units=int(row["units"]),
            price_minor=row["price_minor"],
            share_minor=row["share_minor"],
        )
        for row in rows
    ]


def shops_to_remind(
    *, artist: Artist | None = None, today: date | None = None
) -> list[ShopSummary]:
    """Shops with records out or money due that have been quiet 30 days or more, or hold
    units unsold too long, for the desk and the reminder e-mails."""
    shops = Shop.objects.select_related("place", "artist")
    if artist is not None:
        shops = shops.filter(artist=artist)
    summaries = [shop_summary(shop=shop, today=today) for shop in shops.order_by("pk")]
    return [s for s in summaries if s.reminder or s.stale]


# --- the public site ----------------------------------------------------------------------


@dataclass(frozen=True)
class PublicShop:
    name: str
    town: str
    country: str
    url: str
    map_url: str
    address: str
    # The shop's price (the lowest of the release's items it holds), for a release's page.
    price: Money | None = None


def _public(shops: QuerySet[Shop], prices: dict[int, int] | None = None) -> list[PublicShop]:
    prices = prices or {}
    return [
        PublicShop(
            name=s.name,
            town=s.town,
            country=s.country,
            url=s.website,
            map_url=s.map_url,
            address=s.address,
            price=Money(prices[s.pk], s.artist.currency) if s.pk in prices else None,
        )
        for s in shops.select_related("artist").order_by("town", "name", "pk")
    ]


def where_to_buy_release(*, release: Release) -> list[PublicShop]:
    """The public shops holding at least one unit of an item of ``release``."""
    carrying = Balance.objects.filter(
        quantity__gt=0, item__release=release, place__consignment_shop__isnull=False
    )
    shops = Shop.objects.filter(
        artist_id=release.artist_id, public=True, place_id__in=carrying.values("place_id")
    )
    held = {
        (item_id, place_id) for item_id, place_id in carrying.values_list("item_id", "place_id")
    }
    prices: dict[int, int] = {}
    for shop_id, place_id, item_id, price in Consignment.objects.filter(
        shop__in=shops, item__release=release
    ).values_list("shop_id", "shop__place_id", "item_id", "price_minor"):
        if (item_id, place_id) in held:
            prices[shop_id] = min(price, prices.get(shop_id, price))
    return _public(shops, prices)


def where_to_buy_artist(*, artist: Artist) -> list[PublicShop]:
    """The artist's public shops holding at least one unit of anything of theirs."""
    carrying = Balance.objects.filter(
        quantity__gt=0, item__artist=artist, place__consignment_shop__isnull=False
    ).values("place_id")
    return _public(Shop.objects.filter(artist=artist, public=True, place_id__in=carrying))


# --- stats ------------------------------------------------------------------------------


def units_sold_offline_by_month(
    *, artist: Artist, using: str = "default"
) -> dict[tuple[int | None, date], dict[str, int]]:
    """Units sold at the merch table and by shops, per (release id, first day of the month):
    ``{"sold_table": n, "sold_by_shop": n}`` (items without a release under None)."""
    # A table sale the band voided put its units back (``restocked`` rows naming it):
    # its ``sold_table`` rows sold nothing.
    put_back = Movement.objects.using(using).filter(
        reason="restocked",
        reference_type="table_sale",
        reference_id=OuterRef("reference_id"),
        item_id=OuterRef("item_id"),
    )
    rows = (
        Movement.objects.using(using)
        .filter(artist=artist, reason__in=("sold_table", "sold_by_shop"))
        .exclude(Q(reason="sold_table", reference_type="table_sale") & Exists(put_back))
        .annotate(month=TruncMonth("created_at"))
        .values("item__release_id", "month", "reason")
        .annotate(n=Sum("quantity"))
    )
    found: dict[tuple[int | None, date], dict[str, int]] = {}
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime):
            month = timezone.localdate(month) if timezone.is_aware(month) else month.date()
        key = (row["item__release_id"], month.replace(day=1))
        entry = found.setdefault(key, {"sold_table": 0, "sold_by_shop": 0})
        entry[row["reason"]] += int(row["n"] or 0)
    return found
