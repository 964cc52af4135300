"""The whole gig in a basement with no signal: the phone opens the show, counts in,
sells and counts out offline; back online, the server holds the show, its counts and
its sales once, and once again after the phone sends everything a second time."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from disquaire.stock.models import Movement, Reason
from disquaire.stock.selectors import balance
from disquaire.table import services
from disquaire.table.models import Sale, Show, ShowCount, ShowEvent
from tests.browser.test_table import READ_SALES, _phone, _sell
from tests.table.helpers import table_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

READ_EVENTS = READ_SALES.replace('"sales"', '"events"')

SEND_AGAIN = """async ([url, events, sales]) => {
  const token = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/)[1];
  const strip = ({ artist, state, answer, ...rest }) => rest;
  const body = JSON.stringify({ events: events.map(strip), sales: sales.map(strip) });
  const response = await fetch(url, {
    method: "POST", body,
    headers: { "Content-Type": "application/json", "X-CSRFToken": token },
  });
  const answer = await response.json();
  return [answer.events.map((r) => r.status), answer.results.map((r) => r.status)];
}"""


def _count(page: Any, stage: str, counts: dict[int, int]) -> None:
    page.click(f"[data-count='{stage}']")
    for item, n in counts.items():
        page.fill(f"#count-{item}", str(n))
    page.locator("[data-dialog='count'] button[value='ok']").click()
    page.wait_for_function("() => !document.querySelector('dialog[open]')")


def test_a_gig_opened_counted_and_sold_offline_reaches_the_server_once(
    new_page: Any, live_server: Any
) -> None:
    table = table_build(cds=20, shirts=10)
    services.show_close(show=table.show, cash_counted=0)
    app = f"{live_server.url}/table/{table.artist.slug}/"
    page = _phone(new_page, live_server, table.seller)
    page.goto(app)
    page.wait_for_selector("body[data-offline-ready='1']")
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    # Open the show with no network: it exists on the phone at once.
    expect(page.locator("[data-count='in']")).to_be_disabled()
    page.click("[data-open-show]")
    page.fill("#show-venue", "La Cave")
    page.fill("#show-town", "Lyon")
    page.locator("[data-dialog='open-show'] button[value='ok']").click()
    expect(page.locator("[data-show]")).to_contain_text("La Cave")
    # Count in: the bag's units are offered; two CDs are missing.
    page.click("[data-count='in']")
    expect(page.locator(f"#count-{table.cd.pk}")).to_have_value("20")
    page.locator("[data-dialog='count'] button[value='cancel']").click()
    _count(page, "in", {table.cd.pk: 18})
    expect(page.locator(f"[data-product='{table.cd_product.pk}']")).to_contain_text("18")
    _sell(page, table.cd_product.pk)
    _count(page, "out", {table.cd.pk: 17, table.shirt.pk: 10})
    expect(page.locator("[data-unsent]")).to_have_text("4 not yet sent")
    assert Show.objects.count() == 1 and not Sale.objects.exists()
    # Back online: the phone sends the show, its counts and its sale.
    page.context.set_offline(False)
    page.click("[data-sync]")
    page.wait_for_function(
        "() => document.querySelector('[data-unsent]').textContent === 'All sent'"
    )
    # The phone now sells in the server's show, and still offers its count in.
    expect(page.locator("[data-show]")).to_contain_text("La Cave")
    page.click("[data-count='out']")
    expect(page.locator(f"#count-{table.cd.pk}")).to_have_value("18")
    page.locator("[data-dialog='count'] button[value='cancel']").click()
    show = Show.objects.get(venue="La Cave")
    assert (show.town, show.client_id is not None) == ("Lyon", True)
    assert Sale.objects.get().show == show
    counts = set(ShowCount.objects.filter(show=show).values_list("stage", "item_id", "quantity"))
    assert counts == {("in", table.cd.pk, 18), ("in", table.shirt.pk, 10),
                      ("out", table.cd.pk, 17), ("out", table.shirt.pk, 10)}  # fmt: skip
    assert ShowEvent.objects.count() == 3
    counted = Movement.objects.filter(reason=Reason.COUNTED, item__artist=table.artist)
    assert counted.count() == 1
    assert balance(item=table.cd, place=table.bag) == 17
    # The phone sends everything again: still once.
    events, sales = page.evaluate(READ_EVENTS), page.evaluate(READ_SALES)
    again = page.evaluate(SEND_AGAIN, [f"{app}sync", events, sales])
    assert again == [["accepted"] * 3, ["accepted"]]
    assert Show.objects.count() == 2 and Sale.objects.count() == 1
    assert ShowEvent.objects.count() == 3 and ShowCount.objects.count() == 4
    assert counted.count() == 1
