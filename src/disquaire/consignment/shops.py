"""The record shops a band works with: their details and their private link."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from disquaire.catalog.models import Artist
from disquaire.consignment.models import (
    Shop,
    link_key_new,
)
from disquaire.core.audit import activity_record
from disquaire.stock.models import Place

# What the band types about a shop (its form's fields), then the share's amounts.
SHOP_DETAILS = (
    "name",
    "contact_name",
    "email",
    "phone",
    "address",
    "town",
    "country",
    "website",
    "map_url",
    "public",
    "notes",
    "share_kind",
)
SHOP_FIELDS = (
    *SHOP_DETAILS,
    "commission_bp",
    "tier_from_minor",
    "tier_commission_bp",
    "fixed_minor",
)


@transaction.atomic
def shop_create(*, artist: Artist, name: str, **fields: Any) -> Shop:
    """A shop and its own stock place (kind SHOP), made together."""
    unknown = set(fields) - set(SHOP_FIELDS)
    if unknown:
        raise TypeError(f"unknown shop fields {sorted(unknown)}")
    place = Place.objects.create(artist=artist, name=name[:100], kind=Place.Kind.SHOP)
    return Shop.objects.create(artist=artist, place=place, name=name, **fields)


@transaction.atomic
def shop_update(*, shop: Shop, **fields: Any) -> Shop:
    """Change the shop's contact, visibility or terms (sales already reported keep the
    share they were reported with). The stock place follows the shop's name."""
    unknown = set(fields) - set(SHOP_FIELDS)
    if unknown:
        raise TypeError(f"unknown shop fields {sorted(unknown)}")
    for name, value in fields.items():
        setattr(shop, name, value)
    shop.save(update_fields=list(fields))
    if "name" in fields and shop.place.name != shop.name[:100]:
        shop.place.name = shop.name[:100]
        shop.place.save(update_fields=["name"])
    return shop


def _link_set(shop: Shop, *, active: bool) -> Shop:
    with transaction.atomic():
        shop.link_key = link_key_new()
        shop.link_active = active
        shop.save(update_fields=["link_key", "link_active"])
        action = "consignment.link_renew" if active else "consignment.link_revoke"
        activity_record(
            artist_id=shop.artist_id, action=action, obj=shop, after={"link_active": active}
        )
    return shop


def shop_link_revoke(*, shop: Shop) -> Shop:
    """The private link stops working (and every older one with it)."""
    return _link_set(shop, active=False)


def shop_link_renew(*, shop: Shop) -> Shop:
    """A new private link; the old one stops working."""
    return _link_set(shop, active=True)
