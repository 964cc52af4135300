"""The band's desk, the backstage home: what needs doing, how sales and plays go, who the
latest fans are and what was just published. Reads only (selectors).

Test orders (``orders.selectors.order_is_test``) are left out of the figures and the
fans, and shown marked in the lists of things to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.backstage.stats import SOLD_STATES, orders_sold
from disquaire.catalog.models import Artist, NewsPost, ProcessingStatus, Release, Track
from disquaire.consignment.selectors import shops_to_remind
from disquaire.core.money import Money
from disquaire.fans.follow_models import Follower
from disquaire.fans.follow_selectors import followers_latest
from disquaire.orders.models import Order, OrderLine, OrderState, Payment, PaymentState
from disquaire.orders.selectors import orders_needing_attention, orders_real
from disquaire.storefront.models import TrackPlayDay

# Each list of things to do shows this many; the rest are one link away.
DESK_LIST_LIMIT = 10


@dataclass
class Figures:
    """Sales (paid orders, test orders left out) and plays over a period."""

    orders: int
    revenue: Money
    plays: int


@dataclass
class Desk:
    artist: Artist
    to_ship: list[Order]
    to_ship_count: int
    transfers: list[Payment]
    transfers_count: int
    attention: list[Order]
    attention_count: int
    failed_tracks: list[Track]
    settlements: list[Any]
    today: Figures
    month: Figures
    latest_buyers: list[Order]
    latest_followers: list[Follower]
    published: list[Release]
    news: list[NewsPost]
    # Pick-up orders to be paid in cash when the fan collects them.
    to_collect: list[Payment] = field(default_factory=list)
    to_collect_count: int = 0

    @property
    def todo_count(self) -> int:
        return (
            self.to_ship_count
            + self.transfers_count
            + self.to_collect_count
            + self.attention_count
            + len(self.failed_tracks)
            + len(self.settlements)
        )


def desk_orders_to_ship(*, artist: Artist) -> QuerySet[Order]:
    """Paid orders with something to post, not yet marked shipped, oldest first."""
    shipping = OrderLine.objects.filter(order=OuterRef("pk"), ships=True)
    return (
        Order.objects.filter(artist=artist, state=OrderState.PAID)
        .filter(Exists(shipping))
        .order_by("paid_at", "pk")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.filter(ships=True).order_by("pk"))
        )
    )


def _payments_awaited(artist: Artist, provider: str) -> QuerySet[Payment]:
    """``provider``'s payments not yet received, on orders that may still be paid,
    oldest first."""
    return (
        Payment.objects.filter(
            order__artist=artist,
            provider=provider,
            state__in=(PaymentState.CREATED, PaymentState.PENDING),
            order__state__in=(OrderState.PENDING, OrderState.EXPIRED),
        )
        .select_related("order")
        .order_by("created_at", "pk")
    )


def desk_transfers_to_confirm(*, artist: Artist) -> QuerySet[Payment]:
    """Bank transfers (manual payments) the fans were asked for and the band has not
    marked received, on orders that may still be paid, oldest first."""
    return _payments_awaited(artist, "manual")


def desk_cash_to_collect(*, artist: Artist) -> QuerySet[Payment]:
    """Pick-up orders to be paid in cash on collection, not yet collected, on orders
    that may still be paid, oldest first."""
    return _payments_awaited(artist, "cash")


def desk_failed_tracks(*, artist: Artist) -> QuerySet[Track]:
    """Tracks whose encoding failed (retried from their release's page)."""
    return (
        Track.objects.filter(release__artist=artist, status=ProcessingStatus.FAILED)
        .select_related("release")
        .order_by("release__title", "position")
    )


def desk_settlements_due(*, artist: Artist) -> list[Any]:
    """Shops on consignment to follow up: quiet for 30, 60 or 90 days while holding
    records or owing money, or holding units unsold for too long; each item with
    ``label`` (text) and ``url`` (the shop's page)."""
    items = []
    for summary in shops_to_remind(artist=artist):
        parts = []
        if summary.reminder:
            parts.append(
                _("%(shop)s: no news for %(days)s days (%(due)s due, %(out)s units out)")
                % {
                    "shop": summary.shop.name,
                    "days": summary.quiet_days,
                    "due": summary.due.format(),
                    "out": summary.out,
                }
            )
        if summary.stale:
            parts.append(
                _("%(shop)s: records unsold for over 180 days, to collect")
                % {"shop": summary.shop.name}
            )
        items.append(
            {
                "label": "; ".join(parts),
                "url": reverse(
                    "backstage:consignment_shop",
                    kwargs={"artist": artist.slug, "shop_id": summary.shop.pk},
                ),
            }
        )
    return items


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first instant of ``day`` and of the next, in the instance's time zone."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def desk_figures(*, artist: Artist, start: date, end: date) -> Figures:
    """Paid orders (test orders left out), their totals and plays, from ``start`` to
    ``end`` inclusive, in the instance's time zone."""
    since, _ = day_bounds(start)
    _, until = day_bounds(end)
    sold = (
        orders_sold(artist)
        .filter(paid_at__gte=since, paid_at__lt=until)
        .aggregate(n=Count("pk"), revenue=Coalesce(Sum("total_minor"), 0))
    )
    plays = TrackPlayDay.objects.filter(
        track__release__artist=artist, day__gte=start, day__lte=end
    ).aggregate(n=Coalesce(Sum("plays"), 0))
    return Figures(
        orders=int(sold["n"]),
        revenue=Money(int(sold["revenue"]), artist.currency),
        plays=int(plays["n"]),
    )


def desk_latest_buyers(*, artist: Artist, limit: int = 5) -> list[Order]:
    return list(
        orders_real(Order.objects.filter(artist=artist, state__in=SOLD_STATES))
        .order_by("-paid_at", "-pk")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))[:limit]
    )


def desk_published(*, artist: Artist, limit: int = 4) -> list[Release]:
    """The artist's public releases, the latest changed first (with their public pages)."""
    now = timezone.now()
    return list(
        Release.objects.filter(artist=artist)
        .filter(
            Q(visibility=Release.Visibility.PUBLISHED)
            | Q(visibility=Release.Visibility.SCHEDULED, publish_at__lte=now)
        )
        .select_related("artist")
        .order_by("-updated_at", "-pk")[:limit]
    )


def desk_for_artist(*, artist: Artist, today: date | None = None) -> Desk:
    today = today or timezone.localdate()
    to_ship = desk_orders_to_ship(artist=artist)
    transfers = desk_transfers_to_confirm(artist=artist)
    to_collect = desk_cash_to_collect(artist=artist)
    attention = orders_needing_attention(artist=artist)
    return Desk(
        to_collect=list(to_collect[:DESK_LIST_LIMIT]),
        to_collect_count=to_collect.count(),
        artist=artist,
        to_ship=list(to_ship[:DESK_LIST_LIMIT]),
        to_ship_count=to_ship.count(),
        transfers=list(transfers[:DESK_LIST_LIMIT]),
        transfers_count=transfers.count(),
        attention=list(attention[:DESK_LIST_LIMIT]),
        attention_count=attention.count(),
        failed_tracks=list(desk_failed_tracks(artist=artist)[:DESK_LIST_LIMIT]),
        settlements=desk_settlements_due(artist=artist),
        today=desk_figures(artist=artist, start=today, end=today),
        month=desk_figures(artist=artist, start=today.replace(day=1), end=today),
        latest_buyers=desk_latest_buyers(artist=artist),
        latest_followers=followers_latest(artist=artist, limit=5),
        published=desk_published(artist=artist),
        news=list(
            NewsPost.objects.filter(artist=artist, published_at__lte=timezone.now()).order_by(
                "-published_at"
            )[:3]
        ),
    )


def desk_todo_counts(*, artist: Artist) -> dict[str, int]:
    """The counts of things to do only (the list of artists of a member of several)."""
    return {
        "to_ship": desk_orders_to_ship(artist=artist).count(),
        "transfers": desk_transfers_to_confirm(artist=artist).count(),
        "to_collect": desk_cash_to_collect(artist=artist).count(),
        "attention": orders_needing_attention(artist=artist).count(),
        "failed_tracks": desk_failed_tracks(artist=artist).count(),
        "settlements": len(desk_settlements_due(artist=artist)),
    }
