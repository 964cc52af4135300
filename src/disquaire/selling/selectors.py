"""Reads of what is for sale: whether an offer is on sale, where parcels go, shop settings."""

from __future__ import annotations

from dataclasses import dataclass

from disquaire.catalog.models import Artist
from disquaire.core.queries import Compiled
from disquaire.selling.models import Offer, ShippingZone, ShopSettings


def offer_for_sale(offer: Offer) -> bool:
    """On sale, and its release (or its track's release) is public."""
    if not offer.active:
        return False
    release = offer.release or (offer.track.release if offer.track_id and offer.track else None)
    return release is None or release.is_public


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
