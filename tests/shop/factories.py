from __future__ import annotations

import factory

from disquaire.payments.models import PaymentSettings
from disquaire.selling.models import Offer, OfferOption, ShippingZone, ShopSettings
from tests.factories import ArtistFactory, ReleaseFactory


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    release = factory.SubFactory(ReleaseFactory)
    artist = factory.LazyAttribute(lambda o: o.release.artist if o.release else ArtistFactory())
    kind = Offer.Kind.DIGITAL
    title = factory.Sequence(lambda n: f"Offer {n}")
    pricing = Offer.Pricing.FIXED
    price_minor = 1000


class OfferOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfferOption

    offer = factory.SubFactory(OfferFactory, kind=Offer.Kind.PHYSICAL)
    label = factory.Sequence(lambda n: f"Size {n}")


class ShippingZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingZone

    artist = factory.SubFactory(ArtistFactory)
    name = "Europe"
    countries = ["FR", "DE", "BE"]
    first_item_minor = 500
    additional_item_minor = 200


class ShopSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShopSettings

    artist = factory.SubFactory(ArtistFactory)
    ship_from_country = "FR"
    vat_note = "Prices include VAT."


class PaymentSettingsFactory(factory.django.DjangoModelFactory):
    """An artist's Payments page: by default test mode on and bank transfer ready."""

    class Meta:
        model = PaymentSettings

    artist = factory.SubFactory(ArtistFactory)
    test_mode = True
    bank_enabled = True
    bank_holder = "The Band"
    bank_iban = "FR7630006000011234567890189"
    bank_bic = "AGRIFRPP"
