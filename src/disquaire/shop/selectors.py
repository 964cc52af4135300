"""Reads for the shop: offers for sale, the cart resolved against the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from disquaire.catalog.models import Artist, Release
from disquaire.core.queries import Compiled
from disquaire.orders.selectors import units_left
from disquaire.shop.models import Offer, OfferOption, ShippingZone, ShopSettings


def offer_for_sale(offer: Offer) -> bool:
    """On sale, and its release (or its track's release) is public."""
    if not offer.active:
        return False
    release = offer.release or (offer.track.release if offer.track_id and offer.track else None)
    return release is None or release.is_public


def _offers_with_left(queryset: QuerySet[Offer]) -> list[Offer]:
    offers = list(
        queryset.select_related("artist", "release", "track")
        .prefetch_related(Prefetch("options", queryset=OfferOption.objects.order_by("position")))
        .order_by("position", "pk")
    )
    for offer in offers:
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
class ShippingLine:
    """Where an artist's parcels go and what the first item costs, for the buy box."""

    name: str
    countries: list[str]
    first_item_minor: int
    additional_item_minor: int


def shipping_for_offers(offers: list[Offer]) -> list[ShippingLine]:
    """The zones of the artist of ``offers`` when one of them ships (no query otherwise),
    cheapest first: what the buy box says under a CD."""
    shipping = [offer for offer in offers if offer.ships]
    if not shipping:
        return []
    zones = ShippingZone.objects.filter(artist_id=shipping[0].artist_id).order_by(
        "first_item_minor", "name"
    )
    return [
        ShippingLine(
            name=zone.name,
            countries=list(zone.countries),
            first_item_minor=zone.first_item_minor,
            additional_item_minor=zone.additional_item_minor,
        )
        for zone in zones
    ]


_SETTINGS = Compiled(
    lambda artist_id: ShopSettings.objects.filter(artist_id=artist_id).order_by()[:1]
)


def shop_settings_for(artist: Artist) -> ShopSettings:
    found = _SETTINGS.one(artist_id=artist.pk)
    return found or ShopSettings(artist=artist)


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
    # The artist's shipping zones, read once per request (shop.services.shipping_zones).
    zones: list[ShippingZone] | None = field(default=None, repr=False)

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
