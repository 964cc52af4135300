"""Who sells and what: sellers (invited, joined, revoked) and the table's products."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist, Release
from disquaire.stock.models import Item
from disquaire.table.errors import SellerRefused, TableError
from disquaire.table.models import Seller, TableComponent, TableProduct
from disquaire.table.trace import trace

CODE_DAYS = 7


def seller_invite(*, artist: Artist, name: str, created_by: Any = None, by: str = "") -> Seller:
    """A seller for a friend running the table: joins with the short code (or its link)
    within CODE_DAYS days, once."""
    with transaction.atomic():
        seller = Seller.objects.create(
            artist=artist,
            name=name.strip()[:120] or _("Seller"),
            created_by=created_by,
            code_expires_at=timezone.now() + timedelta(days=CODE_DAYS),
        )
        trace(action="seller_invite", obj=seller, by=by, data={"artist": artist.pk,
               "name": seller.name})  # fmt: skip
    return seller


def seller_join(*, code: str) -> Seller:
    """The seller whose short code this is, now joined (the code works once)."""
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    with transaction.atomic():
        seller = (
            Seller.objects.select_for_update()
            .filter(code=normal, user__isnull=True, revoked_at__isnull=True)
            .first()
        )
        now = timezone.now()
        if (
            seller is None
            or seller.joined_at is not None
            or (seller.code_expires_at is not None and seller.code_expires_at < now)
        ):
            raise TableError(
                _("This code is unknown, used or expired: ask the band for a new one.")
            )
        seller.joined_at = now
        seller.save(update_fields=["joined_at"])
    return seller


def seller_for_member(*, artist: Artist, user: Any) -> Seller:
    """The band member's own seller (made on first use): their sales carry their name."""
    seller, _created = Seller.objects.get_or_create(
        artist=artist,
        user=user,
        defaults={"name": user.get_username(), "joined_at": timezone.now()},
    )
    return seller


def seller_revoke(*, seller: Seller, by: str = "") -> None:
    """The seller's phone can no longer sell nor sync; its sales stay."""
    if seller.revoked_at is None:
        with transaction.atomic():
            seller.revoked_at = timezone.now()
            seller.save(update_fields=["revoked_at"])
            trace(action="seller_revoke", obj=seller, by=by, data={"artist": seller.artist_id})


def seller_check(*, seller: Seller) -> None:
    if seller.revoked_at is not None:
        raise SellerRefused(_("This seller was signed out by the band."))


def product_save(
    *,
    artist: Artist,
    name: str,
    price: int,
    category: str,
    components: list[tuple[Item, int]],
    release: Release | None = None,
    product: TableProduct | None = None,
    position: int = 0,
    by: str = "",
) -> TableProduct:
    """Create (or change) a table product made of ``components`` (item, units)."""
    if price < 0:
        raise TableError(_("A price cannot be negative."))
    if not components:
        raise TableError(_("A table product needs at least one item."))
    if any(item.artist_id != artist.pk or units < 1 for item, units in components):
        raise TableError(_("Each item must be the band's own, one unit or more."))
    if release is not None and release.artist_id != artist.pk:
        raise TableError(_("That release is not the band's."))
    with transaction.atomic():
        if product is None:
            product = TableProduct(artist=artist)
        product.name = name.strip()[:120]
        product.price = price
        product.category = category
        product.release = release
        product.position = position
        product.save()
        product.components.all().delete()
        merged: dict[int, tuple[Item, int]] = {}
        for item, units in components:
            held = merged.get(item.pk)
            merged[item.pk] = (item, units + (held[1] if held else 0))
        TableComponent.objects.bulk_create(
            TableComponent(product=product, item=item, quantity=units)
            for item, units in merged.values()
        )
        trace(action="product_save", obj=product, by=by, data={
            "artist": artist.pk, "name": product.name, "price": price, "category": category,
            "items": {str(pk): units for pk, (_item, units) in merged.items()},
        })  # fmt: skip
    return product


def product_remove(*, product: TableProduct, by: str = "") -> None:
    """Off the table; kept for the sales that name it."""
    if product.is_active:
        with transaction.atomic():
            product.is_active = False
            product.save(update_fields=["is_active"])
            trace(action="product_remove", obj=product, by=by,
                   data={"artist": product.artist_id})  # fmt: skip
