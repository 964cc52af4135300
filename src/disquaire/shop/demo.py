"""The demo band's shop: every kind of price, from free to a numbered limited edition,
and its stock: items in several places (home, the web shop's shelf, the merch bag)."""

from __future__ import annotations

from disquaire.catalog.models import Artist, Release
from disquaire.payments.models import PaymentSettings
from disquaire.selling.models import Offer, OfferItem, OfferOption, ShippingZone, ShopSettings
from disquaire.stock.models import Item, Place, Reason
from disquaire.stock.services import movement_record, place_default


def demo_shop_create(*, artist: Artist, album: Release, ep: Release) -> None:
    """Offers on the demo releases (idempotent: does nothing when the artist has offers).

    The demo band is in test mode (fans see the banner and the "no money moves" page) and
    takes bank transfers to a specimen account."""
    PaymentSettings.objects.get_or_create(
        artist=artist,
        defaults={
            "test_mode": True,
            "bank_enabled": True,
            "bank_holder": "Marée Haute (demo)",
            "bank_iban": "FR7630006000011234567890189",
            "bank_bic": "AGRIFRPP",
        },
    )
    if Offer.objects.filter(artist=artist).exists():
        return
    ShopSettings.objects.update_or_create(
        artist=artist,
        defaults={"ship_from_country": "FR", "vat_note": "Prices include VAT."},
    )
    ShippingZone.objects.create(
        artist=artist, name="France", countries=["FR"], first_item_minor=350,
        additional_item_minor=100,
    )  # fmt: skip
    ShippingZone.objects.create(
        artist=artist, name="Europe", countries=["BE", "DE", "ES", "IT", "NL", "GB", "CH", "LU"],
        first_item_minor=700, additional_item_minor=200,
    )  # fmt: skip
    ShippingZone.objects.create(
        artist=artist, name="World (Réunion included)", countries=["RE", "US", "CA", "JP", "AU"],
        first_item_minor=1200, additional_item_minor=300,
    )  # fmt: skip
    ladder = [
        dict(
            kind=Offer.Kind.DIGITAL, title="Digital album", pricing=Offer.Pricing.PWYW,
            minimum_minor=500, suggested_minor=800,
            includes="Every format: MP3, AAC, Ogg, Opus, FLAC, ALAC, WAV, AIFF",
        ),
        dict(
            kind=Offer.Kind.BUNDLE, title="CD + digital album", price_minor=1200,
            includes="The CD in a card sleeve\nThe digital album at once",
        ),
        dict(
            kind=Offer.Kind.PHYSICAL, title="2 CDs (one for a friend)", price_minor=2000,
            includes="Two CDs in card sleeves",
        ),
        dict(
            kind=Offer.Kind.BUNDLE, title="Signed vinyl, numbered edition", price_minor=3000,
            includes="180 g vinyl signed by both cousins\nYour edition number\nThe digital album",
        ),
    ]  # fmt: skip
    offers = [
        Offer.objects.create(artist=artist, release=album, position=position, **fields)
        for position, fields in enumerate(ladder, start=1)
    ]
    track = album.tracks.order_by("position").first()
    if track is not None:
        Offer.objects.create(
            artist=artist, release=album, track=track, kind=Offer.Kind.TRACK,
            title=f"“{track.title}” alone", price_minor=100, position=10,
        )  # fmt: skip
    Offer.objects.create(
        artist=artist, release=ep, kind=Offer.Kind.DIGITAL, title="Free download",
        pricing=Offer.Pricing.FREE, position=1, includes="Every format, for your email",
    )  # fmt: skip
    shirt = Offer.objects.create(
        artist=artist, kind=Offer.Kind.PHYSICAL, title="T-shirt “Marée Haute”",
        price_minor=1800, position=20, includes="Organic cotton, screen-printed in Nantes",
    )  # fmt: skip
    options = [
        OfferOption.objects.create(offer=shirt, label=size, position=position)
        for position, size in enumerate(("S", "M", "L", "XL"), start=1)
    ]
    _demo_stock(artist=artist, offers=offers, shirt=shirt, options=options)


def _demo_stock(
    *, artist: Artist, offers: list[Offer], shirt: Offer, options: list[OfferOption]
) -> None:
    """The band's boxes: received at home, some on the web shop's shelf (where parcels
    leave from), some in the merch bag for the next concert. The CD offer and the
    “2 CDs” deal draw on the same CDs."""
    home = place_default(artist=artist)
    shelf = Place.objects.create(
        artist=artist, name="Web shop shelf", kind=Place.Kind.SHIPPING, is_default=True
    )
    bag = Place.objects.create(artist=artist, name="Merch bag", kind=Place.Kind.BAG)
    cd = Item.objects.create(artist=artist, name="CD Marée Haute", low_stock_at=20)
    vinyl = Item.objects.create(
        artist=artist, name="Vinyl Marée Haute (numbered)", numbered=True, low_stock_at=5
    )
    _with_stock(item=cd, received=300, home=home, moves=[(shelf, 60), (bag, 25)])
    _with_stock(item=vinyl, received=50, home=home, moves=[(shelf, 20)])
    cd_offer, two_cds, vinyl_offer = offers[1], offers[2], offers[3]
    OfferItem.objects.create(offer=cd_offer, item=cd, quantity=1)
    OfferItem.objects.create(offer=two_cds, item=cd, quantity=2)
    OfferItem.objects.create(offer=vinyl_offer, item=vinyl, quantity=1)
    sizes = {"S": (10, 4), "M": (20, 8), "L": (20, 8), "XL": (5, 2)}
    for option in options:
        received, on_shelf = sizes[option.label]
        tee = Item.objects.create(artist=artist, name=f"T-shirt logo / {option.label}")
        _with_stock(item=tee, received=received, home=home, moves=[(shelf, on_shelf), (bag, 2)])
        OfferItem.objects.create(offer=shirt, option=option, item=tee, quantity=1)


def _with_stock(*, item: Item, received: int, home: Place, moves: list[tuple[Place, int]]) -> None:
    movement_record(
        item=item, quantity=received, reason=Reason.RECEIVED, to_place=home, note="from the plant"
    )
    for place, quantity in moves:
        movement_record(
            item=item, quantity=quantity, reason=Reason.MOVED, from_place=home, to_place=place
        )
