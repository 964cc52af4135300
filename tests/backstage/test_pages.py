"""Backstage pages hold under the strict Content-Security-Policy and speak French."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from tests.backstage.conftest import Band

PAGES = ["artist_edit", "members", "concerts", "concert_create", "news", "news_create",
         "releases", "release_create"]  # fmt: skip


@pytest.mark.parametrize("name", [*PAGES, "release"])
@pytest.mark.django_db
def test_pages_have_no_inline_script_or_style(name: str, band: Band) -> None:
    kwargs = {"artist": band.artist.slug}
    if name == "release":
        kwargs["release_id"] = band.release.pk
    response = band.client.get(reverse(f"backstage:{name}", kwargs=kwargs))
    html = response.content.decode()
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)


@pytest.mark.django_db
def test_release_page_in_french(band: Band) -> None:
    url = reverse(
        "backstage:release", kwargs={"artist": band.artist.slug, "release_id": band.release.pk}
    )
    with translation.override("fr"):
        html = band.client.get(url, headers={"accept-language": "fr"}).content.decode()
    assert "Musique et pochette" in html and "Liste des morceaux" in html
