"""Static files as a fast site serves them: hashed names, cached for ever, compressed;
a favicon on every page and at /favicon.ico."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.factories import ReleaseFactory


@pytest.fixture
def collected(settings: Any, tmp_path: Path) -> Path:
    """Static files collected into a fresh folder, as `disquaire serve` does at start."""
    root = tmp_path / "static"
    settings.STATIC_ROOT = root
    call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.mark.django_db
def test_pages_link_hashed_static_files_served_compressed_and_cached_for_ever(
    collected: Path,
) -> None:
    release = ReleaseFactory()
    client = Client()  # a new client: its middleware sees the collected folder
    html = client.get(release.get_absolute_url()).content.decode()
    css = re.search(r'href="(/static/disquaire/css/site\.[0-9a-f]{12}\.css)"', html)
    js = re.search(r'src="(/static/disquaire/js/player\.[0-9a-f]{12}\.js)"', html)
    assert css and js, html

    response = client.get(css.group(1), headers={"accept-encoding": "gzip, br"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    plain = gzip.decompress(body)
    assert len(body) < len(plain) / 2
    assert plain == (collected / css.group(1).removeprefix("/static/")).read_bytes()

    # Modules import each other by their hashed names too.
    modules = collected / "backstage" / "js"
    (release_js,) = [p for p in modules.glob("release.*.js") if len(p.suffixes) == 2]
    assert re.search(r'from "\./common\.[0-9a-f]{12}\.js"', release_js.read_text())

    # A client that does not ask for compression gets the file as it is.
    response = client.get(js.group(1))
    assert "Content-Encoding" not in response
    assert "immutable" in response["Cache-Control"]


@pytest.mark.django_db
def test_every_page_names_a_favicon_and_the_site_root_has_one(client: Client) -> None:
    release = ReleaseFactory()
    for url in ("/artists/", release.artist.get_absolute_url(), release.get_absolute_url()):
        html = client.get(url).content.decode()
        assert re.search(r'<link rel="icon" type="image/svg\+xml" href="/static/[^"]+\.svg">', html)
    login = client.get(reverse("backstage:login"), follow=True).content.decode()
    assert '<link rel="icon"' in login

    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")


@pytest.mark.django_db
def test_an_artist_with_a_photo_has_it_as_favicon(client: Client, cover_file: Any) -> None:
    release = ReleaseFactory()
    release.artist.photo.save("photo.png", cover_file)
    html = client.get(release.get_absolute_url()).content.decode()
    icon = re.search(r'<link rel="icon" type="image/webp" href="([^"]+)">', html)
    assert icon is not None
    assert icon.group(1).startswith(f"/{release.artist.slug}/images/photo-300.webp?v=")
    assert client.get(icon.group(1)).status_code == 200
