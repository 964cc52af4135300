from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from disquaire.catalog.models import Artist, Membership, Release, Track


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery")


class ArtistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Artist

    name = factory.Sequence(lambda n: f"Band {n}")
    slug = factory.Sequence(lambda n: f"band-{n}")
    bio = "A band."


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    artist = factory.SubFactory(ArtistFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.OWNER


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Release

    artist = factory.SubFactory(ArtistFactory)
    title = factory.Sequence(lambda n: f"Release {n}")
    slug = factory.Sequence(lambda n: f"release-{n}")
    visibility = Release.Visibility.PUBLISHED


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Track

    release = factory.SubFactory(ReleaseFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Track {n}")
    slug = factory.Sequence(lambda n: f"track-{n}")
    duration_ms = 180_000
