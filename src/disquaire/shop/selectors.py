"""Reads for the shop: offer ladders with what is left of each, the cart's shapes."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from disquaire.catalog.models import Artist, Release
from disquaire.orders.items import numbered_by_item
from disquaire.orders.selectors import units_left
from disquaire.selling.models import Offer, OfferOption, ShippingZone, ShopSettings


def _offers_with_left(queryset: QuerySet[Offer]) -> list[Offer]:
    offers = list(
        queryset.select_related("artist", "release", "track")
        .prefetch_related(Prefetch("options", queryset=OfferOption.objects.order_by("position")))
        .order_by("position", "pk")
    )
    numbered = numbered_by_item({offer.pk for offer in offers if offer.ships})
    for offer in offers:
        offer.numbered_item = offer.pk in numbered  # type: ignore[attr-defined]
        offer.left = units_left(offer=offer)  # type: ignore[attr-defined]
        for option in offer.options.all():
            option.left = units_left(offer=offer, option=option)  # type: ignore[attr-defined]
    return offers


def release_offers(release: Release) -> list[Offer]:
    """The release's offer ladder, in order, with what is left of each."""
    return _offers_with_left(Offer.objects.filter(release=release, active=True))


def artist_offers(artist: Artist) -> list[Offer]:
    """The artist's offers tied to no release nor track (merch), with what is left."""
    return _offers_with_left(
        Offer.objects.filter(artist=artist, release__isnull=True, track__isnull=True, active=True)
    )


@dataclass
class CartLine:
    index: int
    offer: Offer
    option: OfferOption | None
    quantity: int
    unit_price_minor: int

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity


@dataclass
class CartGroup:
    """The part of the cart one artist sells: it becomes one order, in one currency."""

    artist: Artist
    lines: list[CartLine] = field(default_factory=list)
    # The artist's shipping zones, read once per request (shop.cart.shipping_zones).
    zones: list[ShippingZone] | None = field(default=None, repr=False)
    # The artist's shop settings, read once per request (shop.checkout.group_shop_settings).
    shop_settings: ShopSettings | None = field(default=None, repr=False)

    @property
    def currency(self) -> str:
        return self.artist.currency

    @property
    def items_minor(self) -> int:
        return sum(line.total_minor for line in self.lines)

    @property
    def ships(self) -> bool:
        return any(line.offer.ships for line in self.lines)

    @property
    def free(self) -> bool:
        """Nothing to pay: no price and no postage (then no way to pay is asked for)."""
        return self.items_minor == 0 and not self.ships
