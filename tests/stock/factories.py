from __future__ import annotations

import factory

from disquaire.stock.models import Item, Place
from tests.factories import ArtistFactory


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    artist = factory.SubFactory(ArtistFactory)
    name = factory.Sequence(lambda n: f"CD Marée Haute {n}")


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place

    artist = factory.SubFactory(ArtistFactory)
    name = factory.Sequence(lambda n: f"Place {n}")
    kind = Place.Kind.HOME
