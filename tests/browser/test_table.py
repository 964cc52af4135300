"""The merch table on two phones in a basement: the app keeps working offline (its
service worker serves the page), sales queue in IndexedDB, and once back online the
server holds each sale exactly once, even when a phone sends them all again."""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import expect

from disquaire.table import services
from disquaire.table.models import Sale
from disquaire.table.views.access import SESSION_SELLER
from tests.factories import ReleaseFactory
from tests.table.helpers import table_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}

READ_SALES = """async () => {
  const db = await new Promise((ok, ko) => {
    const open = indexedDB.open("disquaire-table");
    open.onsuccess = () => ok(open.result);
    open.onerror = () => ko(open.error);
  });
  return await new Promise((ok) => {
    const all = db.transaction("sales").objectStore("sales").getAll();
    all.onsuccess = () => ok(all.result);
  });
}"""

SEND_AGAIN = """async ([url, sales]) => {
  const token = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/)[1];
  const body = JSON.stringify({ sales: sales.map(({ artist, state, answer, ...s }) => s) });
  const response = await fetch(url, {
    method: "POST", body,
    headers: { "Content-Type": "application/json", "X-CSRFToken": token },
  });
  return (await response.json()).results.map((r) => r.status);
}"""


def _phone(new_page: Any, live_server: Any, seller: Any) -> Any:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_SELLER] = seller.pk
    store.create()
    page = new_page(**PHONE)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": live_server.url}]
    )
    return page


def _table_open(new_page: Any, live_server: Any, table: Any) -> Any:
    """The seller's phone on the band's table app, ready to sell."""
    page = _phone(new_page, live_server, table.seller)
    page.goto(f"{live_server.url}/table/{table.artist.slug}/")
    page.wait_for_selector("body[data-ready='1']")
    return page


def _cd_of_a_release(table: Any) -> None:
    """The table's CD made a release of the band's (its buyer gets the album)."""
    table.cd.release = ReleaseFactory(artist=table.artist)
    table.cd.save(update_fields=["release"])


def _sell(page: Any, product_id: int, *, times: int = 1, pay: str = "cash") -> None:
    for _ in range(times):
        page.click(f"[data-product='{product_id}']")
    page.click(f"[data-pay='{pay}']")
    page.locator(f"[data-dialog='{pay}'] button[value='ok']").click()
    page.wait_for_function("() => !document.querySelector('dialog[open]')")


def test_two_phones_sell_offline_and_the_server_keeps_each_sale_once(
    new_page: Any, live_server: Any
) -> None:
    table = table_build(cds=50, shirts=50)
    friend = services.seller_invite(artist=table.artist, name="Alex")
    services.seller_join(code=friend.code)
    app = f"{live_server.url}/table/{table.artist.slug}/"
    phones = [_phone(new_page, live_server, table.seller), _phone(new_page, live_server, friend)]
    for page in phones:
        page.goto(app)
        page.wait_for_selector("body[data-offline-ready='1']")
    # The basement: no network; the app still opens (the worker serves it).
    for page in phones:
        page.context.set_offline(True)
        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        assert page.evaluate("() => Boolean(navigator.serviceWorker.controller)")
        assert page.locator("[data-net]").inner_text() != "Online"
    _sell(phones[0], table.cd_product.pk, times=2)
    _sell(phones[0], table.shirt_product.pk, pay="card")
    _sell(phones[0], table.deal.pk, pay="free")
    _sell(phones[1], table.cd_product.pk)
    _sell(phones[1], table.shirt_product.pk, times=3)
    # The badge follows the queue in IndexedDB, written after each tap: wait for it.
    expect(phones[0].locator("[data-unsent]")).to_have_text("3 not yet sent")
    expect(phones[1].locator("[data-unsent]")).to_have_text("2 not yet sent")
    # Signing out with unsent sales is refused.
    phones[1].locator("[data-signout] button").click()
    phones[1].wait_for_function(
        "() => document.querySelector('[data-notice]').textContent.includes('not yet sent')"
    )
    assert phones[1].url == app
    assert Sale.objects.count() == 0
    # Back online: each phone sends its queue.
    for page in phones:
        page.context.set_offline(False)
        page.click("[data-sync]")
    for page in phones:
        page.wait_for_function(
            "() => document.querySelector('[data-unsent]').textContent === 'All sent'"
        )
    made = [sale for page in phones for sale in page.evaluate(READ_SALES)]
    assert len(made) == 5
    assert {str(pk) for pk in Sale.objects.values_list("id", flat=True)} == {s["id"] for s in made}
    assert sorted(Sale.objects.values_list("payment", flat=True)) == [
        "card", "cash", "cash", "cash", "free"
    ]  # fmt: skip
    # A phone sends everything again: still once.
    again = phones[0].evaluate(SEND_AGAIN, [f"{app}sync", phones[0].evaluate(READ_SALES)])
    assert again == ["accepted"] * 3
    assert Sale.objects.count() == 5
    shots = os.environ.get("DISQUAIRE_TABLE_SCREENSHOT")
    if shots:  # docs/screenshots/table-phone.png: the app with a cart, for docs/table.md
        phones[0].click(f"[data-product='{table.deal.pk}']")
        phones[0].click(f"[data-product='{table.shirt_product.pk}']")
        phones[0].screenshot(path=shots)
