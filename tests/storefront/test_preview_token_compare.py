"""Preview tokens are compared in constant time, and only the right one opens a release."""

from __future__ import annotations

import hmac
from typing import Any

import pytest
from django.http import Http404

from disquaire.storefront import selectors
from tests.factories import ReleaseFactory

pytestmark = pytest.mark.django_db


def test_preview_tokens_are_compared_with_compare_digest(monkeypatch: Any) -> None:
    release = ReleaseFactory(visibility="unlisted")
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    slug = {"artist_slug": release.artist.slug, "release_slug": release.slug}
    assert selectors.release_visible(**slug, preview_token=release.preview_token) == release
    # Another last character (a token may already end with "x").
    last = "y" if release.preview_token.endswith("x") else "x"
    with pytest.raises(Http404):
        selectors.release_visible(**slug, preview_token=release.preview_token[:-1] + last)
    with pytest.raises(Http404):
        selectors.release_visible(**slug, preview_token=None)
    assert len(calls) == 2
