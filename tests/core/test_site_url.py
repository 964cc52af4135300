"""The site's address follows the server actually running unless configured, and is
required in production."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from disquaire.core.siteurl import served_url, site_url_check, site_url_follow
from tests.factories import ReleaseFactory, TrackFactory
from tests.serving import disquaire_serving, free_port


@pytest.fixture
def unconfigured(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    settings.SITE_URL_CONFIGURED = False
    settings.SITE_URL = "http://127.0.0.1:8000"
    monkeypatch.delenv("DISQUAIRE_SITE_URL", raising=False)
    return settings


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 8790, "http://127.0.0.1:8790"),
        ("localhost", 8123, "http://localhost:8123"),
        ("0.0.0.0", 8790, "http://127.0.0.1:8790"),  # noqa: S104
        ("::", 8790, "http://[::1]:8790"),
        ("::1", 8790, "http://[::1]:8790"),
    ],
)
def test_the_served_address_names_a_reachable_host(host: str, port: int, url: str) -> None:
    assert served_url(host=host, port=port) == url


@pytest.mark.django_db
def test_serving_on_another_port_builds_every_link_for_that_port(unconfigured: Any) -> None:
    release = ReleaseFactory(artist__slug="band", slug="album")
    TrackFactory(release=release, position=1, is_free=True)
    assert site_url_follow(host="127.0.0.1", port=8790) == "http://127.0.0.1:8790"
    assert os.environ["DISQUAIRE_SITE_URL"] == "http://127.0.0.1:8790"  # for the workers

    html = Client().get("/band/album/").content.decode()
    assert '<link rel="canonical" href="http://127.0.0.1:8790/band/album/">' in html
    # oEmbed discovery names the page it describes on the served port.
    assert (
        'href="http://127.0.0.1:8790/oembed?url=http%3A%2F%2F127.0.0.1%3A8790%2Fband%2Falbum%2F'
        in html
    )
    assert ":8000" not in html
    assert ":8000" not in Client().get("/band/feed.atom").content.decode()
    assert "http://127.0.0.1:8790/sitemap.xml" in Client().get("/robots.txt").content.decode()


def test_a_configured_address_is_kept_whatever_the_port(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISQUAIRE_SITE_URL", raising=False)
    settings.SITE_URL_CONFIGURED = True
    settings.SITE_URL = "https://shop.example.org"
    assert site_url_follow(host="127.0.0.1", port=8790) == "https://shop.example.org"
    assert settings.SITE_URL == "https://shop.example.org"


def _ids(messages: list[checks.CheckMessage]) -> list[str]:
    return [str(m.id) for m in messages]


def test_production_refuses_to_run_without_the_site_address(unconfigured: Any) -> None:
    unconfigured.PRODUCTION = True
    assert _ids(site_url_check()) == ["disquaire.E011"]


@pytest.mark.parametrize(
    ("url", "ids"),
    [
        ("https://shop.example.org", []),
        ("http://shop.example.org", ["disquaire.W011"]),
        ("shop.example.org", ["disquaire.E012"]),
        ("https://example.org/shop", ["disquaire.E013"]),
    ],
)
def test_production_checks_the_configured_address(settings: Any, url: str, ids: list[str]) -> None:
    settings.PRODUCTION = True
    settings.SITE_URL_CONFIGURED = True
    settings.SITE_URL = url
    assert _ids(site_url_check()) == ids


def test_check_deploy_asks_for_the_site_address(unconfigured: Any) -> None:
    unconfigured.PRODUCTION = False
    with pytest.raises(SystemCheckError, match=r"disquaire\.E011"):
        call_command("check", deploy=True, fail_level="ERROR")


@pytest.mark.slow
def test_serve_on_another_port_names_that_port_in_its_links(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DISQUAIRE_DATA_DIR": str(tmp_path / "data")}
    for name in ("DATABASE_URL", "DISQUAIRE_SITE_URL"):
        env.pop(name, None)
    with disquaire_serving("--no-worker", port=port, env=env, cwd=tmp_path):
        body, deadline = b"", time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=5) as r:
                    body = r.read()
                break
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.3)
        assert f"Sitemap: http://127.0.0.1:{port}/sitemap.xml".encode() in body
