"""Reads of orders: the order page, unlocking downloads, what is left of an offer."""

from __future__ import annotations

import secrets
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from disquaire.catalog.models import Artist
from disquaire.orders.items import units_left as items_units_left
from disquaire.orders.models import Order, OrderLine, OrderState
from disquaire.orders.stock import units_held
from disquaire.selling.models import Offer, OfferOption


# Everything that must tell test orders apart (the band's e-mails, the desk's and the
# stats' figures) asks these two.
def order_is_test(order: Order) -> bool:
    """True for a test order (the test payment, or a band's Stripe test keys): no money
    moved. Marked when the order is made (``Order.is_test``)."""
    return bool(order.is_test)


def orders_real(orders: QuerySet[Order]) -> QuerySet[Order]:
    """``orders`` without the test orders (see ``order_is_test``)."""
    return orders.filter(is_test=False)


def order_by_code_and_secret(*, code: str, secret: str) -> Order | None:
    """The order behind a buyer's private link, or None (compared in constant time)."""
    order = Order.objects.filter(code=code).select_related("artist").first()
    if order is None or not secrets.compare_digest(order.secret, secret):
        return None
    return order


def order_page_path(order: Order) -> str:
    return reverse("orders:detail", kwargs={"code": order.code, "secret": order.secret})


def order_lines(order: Order) -> QuerySet[OrderLine]:
    return order.lines.select_related("release", "track", "offer").order_by("pk")


def order_line_unlocked(line: OrderLine) -> bool:
    """May the buyer download what this line includes now?

    Paid (or fulfilled) orders only, lines that include a download, and for pre-orders
    not before the release date.
    """
    if not line.includes_download:
        return False
    if line.order.state not in (OrderState.PAID, OrderState.FULFILLED):
        return False
    release = line.release or (line.track.release if line.track else None)
    if release is not None and release.release_date is not None:
        return release.release_date <= timezone.localdate()
    return True


def units_left(*, offer: Offer, option: OfferOption | None = None) -> int | None:
    """Units still for sale (None: unlimited), counting sold and held units."""
    now = timezone.now()
    lefts = []
    if offer.stock is not None:
        lefts.append(offer.stock - units_held(offer=offer, option=None, now=now))
    if option is not None and option.stock is not None:
        lefts.append(option.stock - units_held(offer=offer, option=option, now=now))
    # What the items it uses still have where the web shop ships from.
    in_items = items_units_left(offer=offer, option=option, now=now)
    if in_items is not None:
        lefts.append(in_items)
    return max(0, min(lefts)) if lefts else None


def orders_needing_attention(*, artist: Artist | None = None) -> QuerySet[Order]:
    """Orders flagged for the band (a refund to make by hand, a payment in another
    amount), the latest flagged first; only ``artist``'s when given."""
    orders = Order.objects.filter(needs_attention=True)
    if artist is not None:
        orders = orders.filter(artist=artist)
    return orders.order_by("-updated_at", "-pk")


def release_has_orders(*, release_id: int) -> bool:
    """Any order, in any state, names ``release``, one of its tracks or one of its offers
    (the ledger keeps every order: what it names is never deleted)."""
    return OrderLine.objects.filter(
        Q(release_id=release_id)
        | Q(track__release_id=release_id)
        | Q(offer__release_id=release_id)
        | Q(offer__track__release_id=release_id)
    ).exists()


def orders_metrics() -> list[Any]:
    """/metrics: orders by state, every state listed (0 when none)."""
    from django.db.models import Count

    from disquaire.core.metrics import Family

    counts = dict.fromkeys(OrderState.values, 0)
    for row in Order.objects.values("state").annotate(count=Count("pk")):
        counts[row["state"]] = row["count"]
    return [
        Family(
            "disquaire_orders",
            "Orders by state.",
            ("state",),
            samples=[((state,), count) for state, count in counts.items()],
        )
    ]


def offer_sold(*, offer: Offer) -> int:
    """Units of the offer in paid or fulfilled orders."""
    total = offer.order_lines.filter(
        order__state__in=[OrderState.PAID, OrderState.FULFILLED]
    ).aggregate(n=Sum("quantity"))["n"]
    return int(total or 0)
