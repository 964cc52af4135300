"""Writes of what is for sale: offers and their ladder, shipping zones, shop settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist
from disquaire.selling.models import Offer, OfferOption, ShippingZone, ShopSettings


class OfferInUse(ValueError):
    """The offer was ordered at least once: it is kept (orders point at it); take it off sale."""


OFFER_FIELDS = (
    "kind", "title", "includes", "pricing", "price_minor", "minimum_minor", "suggested_minor",
    "stock", "numbered", "active", "track",
)  # fmt: skip


def _offer_check(offer: Offer) -> None:
    """Normalise the pricing fields so that a free offer never keeps a stale price."""
    if offer.pricing == Offer.Pricing.FREE:
        offer.price_minor, offer.minimum_minor, offer.suggested_minor = 0, 0, None
    elif offer.pricing == Offer.Pricing.PWYW:
        offer.price_minor = offer.minimum_minor
    else:
        offer.minimum_minor, offer.suggested_minor = offer.price_minor, None


def offer_create(
    *, artist: Artist, release: Any = None, options: Iterable[dict[str, Any]] = (), **fields: Any
) -> Offer:
    """A new offer at the end of its ladder (the release's, or the artist's merch)."""
    with transaction.atomic():
        siblings = Offer.objects.filter(artist=artist, release=release)
        last = siblings.order_by("-position").values_list("position", flat=True).first()
        offer = Offer(artist=artist, release=release, position=(last or 0) + 1)
        for name, value in fields.items():
            if name not in OFFER_FIELDS:
                raise TypeError(f"unknown offer field {name!r}")
            setattr(offer, name, value)
        _offer_check(offer)
        offer.full_clean(exclude=["release", "track"])
        offer.save()
        for position, option in enumerate(options, start=1):
            OfferOption.objects.create(offer=offer, position=position, **option)
    return offer


def offer_update(*, offer: Offer, **fields: Any) -> Offer:
    """Change an offer's fields (those of OFFER_FIELDS); edition numbers already issued stay."""
    for name, value in fields.items():
        if name not in OFFER_FIELDS:
            raise TypeError(f"unknown offer field {name!r}")
        setattr(offer, name, value)
    _offer_check(offer)
    offer.save(update_fields=[*fields, "price_minor", "minimum_minor", "suggested_minor"])
    return offer


def offer_delete(*, offer: Offer) -> None:
    """Delete an offer nobody ordered; raise OfferInUse otherwise — also when an order
    for it is written between the check and the delete (its protected reference rolls
    the deletion back)."""
    in_use = OfferInUse(_("This offer was ordered: take it off sale instead of deleting it."))
    if offer.order_lines.exists():
        raise in_use
    try:
        with transaction.atomic():
            offer.delete()
    except (ProtectedError, IntegrityError) as exc:
        raise in_use from exc


def offer_move(*, offer: Offer, by: int) -> None:
    """Move an offer up (by < 0) or down its ladder, renumbering the ladder 1..N."""
    with transaction.atomic():
        ladder = list(
            Offer.objects.select_for_update()
            .filter(artist_id=offer.artist_id, release=offer.release)
            .order_by("position", "pk")
        )
        index = next(i for i, o in enumerate(ladder) if o.pk == offer.pk)
        target = max(0, min(len(ladder) - 1, index + by))
        ladder.insert(target, ladder.pop(index))
        for position, item in enumerate(ladder, start=1):
            if item.position != position:
                item.position = position
                item.save(update_fields=["position"])


def shipping_zone_save(
    *,
    artist: Artist,
    zone: ShippingZone | None = None,
    name: str,
    countries: list[str],
    first_item_minor: int,
    additional_item_minor: int,
) -> ShippingZone:
    """Create or change a shipping zone; country codes are upper-cased and de-duplicated."""
    zone = zone or ShippingZone(artist=artist)
    zone.name = name
    zone.countries = sorted({c.strip().upper() for c in countries if c.strip()})
    zone.first_item_minor = first_item_minor
    zone.additional_item_minor = additional_item_minor
    zone.save()
    return zone


def shipping_zone_delete(*, zone: ShippingZone) -> None:
    zone.delete()


def shop_settings_update(*, artist: Artist, ship_from_country: str, vat_note: str) -> ShopSettings:
    """Save the artist's shop settings (created on first save). How fans pay is set on
    the Payments page (payments.services)."""
    found, _created = ShopSettings.objects.update_or_create(
        artist=artist,
        defaults={"ship_from_country": ship_from_country.strip().upper(), "vat_note": vat_note},
    )
    return found
