"""The shop pages in a real browser: no serious accessibility problem (axe) on the band's
shop list and shop page, the report form, the shop's private page and the public release
page with its "Where to buy in person"; the private link copied with the keyboard."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from disquaire.consignment.links import shop_link_path
from disquaire.consignment.services import (
    Line,
    consignment_place,
    sales_report,
    shop_update,
    statement_create,
)
from tests.browser.test_player_and_embeds import _scan
from tests.consignment.conftest import band_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_shop_pages_pass_axe_and_the_link_is_copied_with_the_keyboard(
    new_page: Any, live_server: Any, axe_path: Path, tmp_path: Path
) -> None:
    band = band_make("bijoux")
    shop_update(shop=band.shop, public=True)
    consignment_place(shop=band.shop, item=band.item, quantity=10, price_minor=1200)
    sales_report(shop=band.shop, lines=[Line(band.item, 3)])
    statement_create(shop=band.shop)
    sales_report(shop=band.shop, lines=[Line(band.item, 1)])
    page = new_page(bypass_csp=True)
    cookie = band.client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    artist, shop_id = band.artist.slug, band.shop.pk
    paths = {
        "list": reverse("backstage:consignment_shops", args=[artist]),
        "shop": reverse("backstage:consignment_shop", args=[artist, shop_id]),
        "report": reverse("backstage:consignment_report", args=[artist, shop_id]),
        "portal": shop_link_path(shop=band.shop),
        "release": band.release.get_absolute_url(),
    }
    shots = os.environ.get("DISQUAIRE_SHOTS")
    found = {}
    for name, path in paths.items():
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        found[name] = _scan(page, axe_path)
        if shots:
            page.screenshot(path=str(Path(shots) / f"consignment-{name}.png"), full_page=True)
    assert found == {name: [] for name in found}

    page.goto(live_server.url + paths["shop"])
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = page.locator("[data-copy]")
    assert copy.inner_text() == "Copy"
    copy.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('[data-copy]').textContent === 'Copied'")
