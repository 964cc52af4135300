"""What only a browser shows of a finished-looking shop: the player bar hidden until
something plays, no console error (the favicon is there), the offer form showing the
fields of the chosen kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from disquaire.catalog.models import Membership, Release
from tests.factories import ArtistFactory, MembershipFactory, ReleaseFactory, UserFactory
from tests.storefront.listen_fixtures import processed_release

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def release(tmp_path: Path) -> Release:
    return processed_release(tmp_path, tracks=2, seconds=3.0)


def test_the_player_bar_hides_until_something_plays(
    page: Any, live_server: Any, release: Release
) -> None:
    page.goto(live_server.url + release.get_absolute_url())
    page.wait_for_selector("[data-player][data-ready]", state="attached")
    expect(page.locator("[data-player]")).to_be_hidden()

    page.click("button.play-main")

    expect(page.locator("[data-player]")).to_be_visible()
    expect(page.locator("[data-player-title]")).to_contain_text("Song 1")


def test_the_release_page_logs_no_console_error_and_has_its_favicon(
    page: Any, live_server: Any, release: Release
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(live_server.url + release.get_absolute_url())
    page.wait_for_selector("[data-player][data-ready]", state="attached")
    page.wait_for_load_state("networkidle")
    icon = page.evaluate(
        "async () => (await fetch(document.querySelector('link[rel=icon]').href)).status"
    )
    root_icon = page.evaluate("async () => (await fetch('/favicon.ico')).status")

    assert (icon, root_icon) == (200, 200)
    assert errors == []
    assert failed == []


def _signed_in_page(new_page: Any, live_server: Any) -> tuple[Any, Any]:
    user = UserFactory(username="band@example.org", email="band@example.org")
    artist = ArtistFactory(name="Les Bijoux", slug="les-bijoux")
    MembershipFactory(artist=artist, user=user, role=Membership.Role.OWNER)
    client = Client()
    client.force_login(user)
    page = new_page()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page, artist


def test_the_offer_form_shows_the_fields_of_the_chosen_kind(
    new_page: Any, live_server: Any
) -> None:
    page, artist = _signed_in_page(new_page, live_server)
    release = ReleaseFactory(artist=artist)
    url = reverse("backstage:offer_create", kwargs={"artist": artist.slug})
    page.goto(f"{live_server.url}{url}?release={release.pk}")
    track, options = page.locator("#id_track"), page.locator("#id_options-0-label")
    price, minimum = page.locator("#id_price"), page.locator("#id_minimum")
    no_zone = page.locator(".bs-warning")

    page.select_option("#id_kind", "digital")
    page.check("input[name=pricing][value=fixed]")
    expect(price).to_be_visible()
    for hidden in (track, options, minimum, no_zone):
        expect(hidden).to_be_hidden()

    page.select_option("#id_kind", "track")
    expect(track).to_be_visible()
    expect(options).to_be_hidden()

    page.select_option("#id_kind", "bundle")
    expect(options).to_be_visible()
    expect(no_zone).to_be_visible()
    expect(track).to_be_hidden()

    page.check("input[name=pricing][value=pwyw]")
    expect(minimum).to_be_visible()
    expect(price).to_be_hidden()
    page.check("input[name=pricing][value=free]")
    expect(minimum).to_be_hidden()
    expect(price).to_be_hidden()
