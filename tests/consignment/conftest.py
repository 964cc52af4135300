"""A band with a release, a CD of it in stock at home, and a record shop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from disquaire.catalog.models import Artist, Membership, Release
from disquaire.consignment.models import Shop
from disquaire.consignment.services import shop_create
from disquaire.stock.models import Item, Place
from disquaire.stock.services import movement_record, place_default
from tests.factories import ArtistFactory, MembershipFactory, ReleaseFactory, UserFactory


@dataclass
class Band:
    artist: Artist
    release: Release
    item: Item
    home: Place
    shop: Shop
    user: Any
    client: Client


def band_make(slug: str, *, home_units: int = 50) -> Band:
    email = f"{slug}@example.org"
    user = UserFactory(username=email, email=email)
    artist = ArtistFactory(name=slug.title(), slug=slug)
    MembershipFactory(artist=artist, user=user, role=Membership.Role.OWNER)
    release = ReleaseFactory(artist=artist, title=f"{slug.title()} LP", slug=f"{slug}-lp")
    item = Item.objects.create(artist=artist, name=f"CD {slug}", release=release)
    home = place_default(artist=artist)
    if home_units:
        movement_record(item=item, quantity=home_units, reason="received", to_place=home)
    shop = shop_create(
        artist=artist,
        name=f"Disques {slug.title()}",
        town="Nantes",
        country="FR",
        website="https://shop.example/",
        commission_bp=3000,
        tier_from_minor=1000,
        tier_commission_bp=2500,
    )
    client = Client()
    client.force_login(user)
    return Band(
        artist=artist,
        release=release,
        item=item,
        home=home,
        shop=shop,
        user=user,
        client=client,
    )


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def band(db: None) -> Band:
    return band_make("lesbijoux")


@pytest.fixture
def other(db: None) -> Band:
    return band_make("autres")
