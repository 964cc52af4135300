"""The demo band's record shop: CDs left on consignment, a report and a statement."""

from __future__ import annotations

from disquaire.catalog.models import Artist, Release
from disquaire.consignment.models import ReportSource, ShareKind, Shop
from disquaire.consignment.services import (
    Line,
    consignment_place,
    sales_report,
    shop_create,
    statement_create,
)
from disquaire.stock.models import Item
from disquaire.stock.selectors import balance
from disquaire.stock.services import movement_record, place_default

DEMO_SHOP = "Disquaire du Port (demo)"


def demo_consignment_create(*, artist: Artist, album: Release) -> None:
    """A public shop in Nantes holding the album's CD, with a first statement and sales
    reported since (idempotent: does nothing when the band has a shop)."""
    if Shop.objects.filter(artist=artist).exists():
        return
    item = Item.objects.filter(artist=artist, release=album).order_by("pk").first()
    if item is None:
        # The web shop's CD of the album (the selling demo), now known as the album's.
        item = (
            Item.objects.filter(
                artist=artist, release__isnull=True, offer_uses__offer__release=album
            )
            .filter(name__istartswith="CD")
            .order_by("pk")
            .first()
        )
        if item is not None:
            item.release = album
            item.save(update_fields=["release"])
    if item is None:
        item = Item.objects.create(artist=artist, name=f"CD “{album.title}”", release=album)
    home = place_default(artist=artist)
    if balance(item=item, place=home) < 20:
        movement_record(
            item=item, quantity=100, reason="received", to_place=home, note="Demo pressing"
        )
    shop = shop_create(
        artist=artist,
        name=DEMO_SHOP,
        contact_name="Maëlle",
        email="maelle@disquaire-du-port.example",
        phone="+33 2 40 00 00 00",
        address="3 quai de la Fosse",
        town="Nantes",
        country="FR",
        website="https://disquaire-du-port.example/",
        public=True,
        share_kind=ShareKind.COMMISSION,
        commission_bp=3000,
        tier_from_minor=1000,
        tier_commission_bp=2500,
        notes="Pays by bank transfer at the start of each month.",
    )
    consignment_place(shop=shop, item=item, quantity=10, price_minor=1500)
    sales_report(shop=shop, lines=[Line(item, 3)], source=ReportSource.BAND, note="By phone")
    statement_create(shop=shop)
    sales_report(shop=shop, lines=[Line(item, 2)], source=ReportSource.SHOP)
