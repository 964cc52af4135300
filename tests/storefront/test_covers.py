"""Cover variants: WebP at the offered widths only, stored once, cached long."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from PIL import Image

from disquaire.catalog.models import Release
from tests.factories import ReleaseFactory
from tests.storefront.conftest import png_bytes

pytestmark = pytest.mark.django_db


def _url(release: Release, width: int) -> str:
    return reverse("storefront:cover", kwargs={"release_id": release.pk, "width": width})


def test_cover_variant_is_webp_of_the_asked_width_and_stored(
    client: Client, cover_file: ContentFile[bytes]
) -> None:
    release = ReleaseFactory()
    release.cover.save("cover.png", cover_file)
    response = client.get(_url(release, 600))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert "immutable" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.width) == ("WEBP", 600)
    _dirs, stored = default_storage.listdir("covers/derived")
    assert len(stored) == 1 and stored[0].startswith(f"{release.pk}-") and "-600" in stored[0]
    again = client.get(_url(release, 600))
    assert again.content == response.content


def test_small_cover_is_never_enlarged(client: Client) -> None:
    release = ReleaseFactory()
    release.cover.save("small.png", ContentFile(png_bytes(200, 100)))
    image = Image.open(io.BytesIO(client.get(_url(release, 1200)).content))
    assert image.size == (200, 100)


@pytest.mark.parametrize("width", [100, 301, 2400, 10000])
def test_widths_not_offered_are_refused(
    client: Client, cover_file: ContentFile[bytes], width: int
) -> None:
    release = ReleaseFactory()
    release.cover.save("cover.png", cover_file)
    assert client.get(_url(release, width)).status_code == 404


def test_covers_of_hidden_releases_need_the_preview_token(
    client: Client, cover_file: ContentFile[bytes]
) -> None:
    draft = ReleaseFactory(visibility=Release.Visibility.DRAFT)
    draft.cover.save("cover.png", cover_file)
    unlisted = ReleaseFactory(visibility=Release.Visibility.UNLISTED)
    unlisted.cover.save("cover2.png", ContentFile(png_bytes()))
    assert client.get(_url(draft, 300)).status_code == 404
    assert client.get(_url(unlisted, 300)).status_code == 404
    ok = client.get(_url(unlisted, 300) + f"?preview={unlisted.preview_token}")
    assert ok.status_code == 200
    assert ok["Cache-Control"].startswith("private")


def test_release_page_offers_the_cover_in_srcset_with_alt_text(
    client: Client, cover_file: ContentFile[bytes]
) -> None:
    release = ReleaseFactory(cover_alt="")
    release.cover.save("cover.png", cover_file)
    html = client.get(release.get_absolute_url()).content.decode()
    assert f"/covers/{release.pk}/300.webp?v=" in html
    assert " 1200w" in html
    assert f'alt="{release.title}"' in html


def test_release_without_cover_is_not_found(client: Client) -> None:
    release = ReleaseFactory()
    assert client.get(_url(release, 300)).status_code == 404


def test_artist_header_image_is_served_as_webp_and_shown_on_the_artist_page(
    client: Client, cover_file: ContentFile[bytes]
) -> None:
    release = ReleaseFactory()
    artist = release.artist
    artist.header_image.save("header.png", cover_file)
    url = reverse(
        "storefront:artist_image", kwargs={"artist": artist.slug, "kind": "header", "width": 1200}
    )
    response = client.get(url)
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).width == 1200
    assert url in client.get(artist.get_absolute_url()).content.decode()
    bad = reverse(
        "storefront:artist_image", kwargs={"artist": artist.slug, "kind": "photo", "width": 300}
    )
    assert client.get(bad).status_code == 404
