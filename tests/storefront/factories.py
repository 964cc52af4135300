"""Factories for the public site's tests (the catalogue's own are in tests/factories.py)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from disquaire.catalog.models import Concert, NewsPost, ProcessingStatus, Rendition, Tag
from tests.factories import ArtistFactory, TrackFactory


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Genre {n}")
    slug = factory.Sequence(lambda n: f"genre-{n}")


class ConcertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Concert

    artist = factory.SubFactory(ArtistFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))
    venue = "Le Lieu Unique"
    city = "Nantes"
    country = "FR"
    ticket_url = "https://tickets.example.org/show"


class NewsPostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NewsPost

    artist = factory.SubFactory(ArtistFactory)
    title = factory.Sequence(lambda n: f"News {n}")
    slug = factory.Sequence(lambda n: f"news-{n}")
    body = "First paragraph.\n\nSecond paragraph."
    published_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))


class RenditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rendition

    track = factory.SubFactory(TrackFactory)
    format = "flac"
    status = ProcessingStatus.READY
    bytes = 1_000_000
