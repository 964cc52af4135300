"""The demo band's shop: every kind of price, from free to a numbered limited edition."""

from __future__ import annotations

from disquaire.catalog.models import Artist, Release
from disquaire.payments.models import PaymentSettings
from disquaire.selling.models import Offer, OfferOption, ShippingZone, ShopSettings


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
            kind=Offer.Kind.BUNDLE, title="CD + digital album", price_minor=1200, stock=300,
            includes="The CD in a card sleeve\nThe digital album at once",
        ),
        dict(
            kind=Offer.Kind.BUNDLE, title="Signed vinyl, numbered edition", price_minor=3000,
            stock=50, numbered=True,
            includes="180 g vinyl signed by both cousins\nYour edition number\nThe digital album",
        ),
    ]  # fmt: skip
    for position, fields in enumerate(ladder, start=1):
        Offer.objects.create(artist=artist, release=album, position=position, **fields)
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
    for size, stock in (("S", 10), ("M", 20), ("L", 20), ("XL", 5)):
        OfferOption.objects.create(offer=shirt, label=size, stock=stock)
