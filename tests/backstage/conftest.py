"""Fixtures of the backstage tests: a band with its owner, and a stranger with their own band."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from disquaire.audio import synth_cover, synth_track
from disquaire.catalog.models import Artist, Membership, Release
from tests.factories import ArtistFactory, MembershipFactory, ReleaseFactory, UserFactory


@dataclass
class Band:
    artist: Artist
    release: Release
    user: Any
    client: Client


def _band(name: str) -> Band:
    email = f"{name}@example.org"
    user = UserFactory(username=email, email=email)
    artist = ArtistFactory(name=name.title(), slug=name)
    MembershipFactory(artist=artist, user=user, role=Membership.Role.OWNER)
    release = ReleaseFactory(artist=artist, visibility=Release.Visibility.DRAFT)
    client = Client()
    client.force_login(user)
    return Band(artist=artist, release=release, user=user, client=client)


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """Hashing is not what these tests check: skip PBKDF2's deliberate slowness."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def band(db: None) -> Band:
    return _band("lesbijoux")


@pytest.fixture
def stranger(db: None) -> Band:
    """A member of another artist: must see none of ``band``'s things."""
    return _band("autres")


@pytest.fixture
def flac(tmp_path: Path) -> Path:
    path = tmp_path / "01 - Sous la pluie.flac"
    synth_track(path=path, seconds=1.5, seed=3)
    return path


@pytest.fixture
def cover_jpg(tmp_path: Path) -> Path:
    path = tmp_path / "cover.jpg"
    synth_cover(title="Cover", seed=2, size=400, path=path)
    return path
