"""Pay on your phone at the merch table: the seller starts a checkout for the cart, the
table draws its link as a QR code, the fan opens it on their own phone (a second
browser) and pays with the test provider; the table sees it paid, then draws the
album's claim link as a QR code. Offline the way is off, with its reason."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from disquaire.payments.models import PaymentSettings
from disquaire.stock.models import Movement, Reason
from disquaire.table.models import Sale
from tests.browser.test_table import PHONE, _cd_of_a_release, _table_open
from tests.table.helpers import table_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page: Any, name: str) -> None:
    """docs/screenshots/<name>.png when DISQUAIRE_TABLE_SCREENSHOTS names that folder."""
    folder = os.environ.get("DISQUAIRE_TABLE_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def test_the_fan_pays_on_their_phone_and_the_table_shows_it_paid(
    new_page: Any, live_server: Any
) -> None:
    table = table_build()
    _cd_of_a_release(table)
    PaymentSettings.objects.create(artist=table.artist, test_mode=True)
    page = _table_open(new_page, live_server, table)
    page.click(f"[data-product='{table.cd_product.pk}']")
    page.click("[data-pay-phone]")
    dialog = page.locator("[data-dialog='phone']")
    dialog.locator("[data-phone-qr] svg").wait_for()
    assert dialog.get_attribute("data-phone-status") == "pending"
    link = dialog.locator("[data-phone-qr]").get_attribute("data-qr")
    sale = Sale.objects.get()
    assert link == f"{live_server.url}/table/pay/{sale.pk}/"
    assert sale.status == Sale.Status.PENDING
    _shot(page, "table-pay-phone-phone")

    fan = new_page(**PHONE)
    fan.goto(link)  # the QR code's link: to the provider's page
    assert "/payments/test/" in fan.url
    fan.click("button[value='success']")
    fan.wait_for_load_state()

    page.wait_for_selector("[data-dialog='phone'][data-phone-status='accepted']")
    sale.refresh_from_db()
    assert sale.status == Sale.Status.ACCEPTED
    row = Movement.objects.get(reason=Reason.SOLD_TABLE)
    assert (row.item_id, row.quantity, row.from_place_id, row.reference_id) == (
        table.cd.pk, 1, table.bag.pk, sale.order.code
    )  # fmt: skip
    _shot(page, "table-pay-phone-paid-phone")
    dialog.locator("button[value='close']").click()
    # A CD: the buyer's album, as a QR code drawn on the phone.
    claim = page.locator("[data-buyer-claim-qr] svg")
    claim.wait_for()
    assert "/table/claim/" in page.locator("[data-buyer-claim-qr]").get_attribute("data-qr")
    page.locator("[data-buyer-claim]").evaluate("(el) => el.scrollIntoView({ block: 'start' })")
    _shot(page, "table-claim-qr-phone")


def test_offline_the_phone_payment_is_off_with_its_reason(new_page: Any, live_server: Any) -> None:
    table = table_build()
    PaymentSettings.objects.create(artist=table.artist, test_mode=True)
    page = _table_open(new_page, live_server, table)
    page.click(f"[data-product='{table.cd_product.pk}']")
    assert page.locator("[data-pay-phone]").is_enabled()
    page.context.set_offline(True)
    page.evaluate("() => window.dispatchEvent(new Event('offline'))")
    page.wait_for_selector("[data-pay-phone]:disabled")
    reason = page.locator("[data-pay-phone-reason]")
    assert reason.is_visible() and "offline" in reason.inner_text()
    assert not Sale.objects.exists()


def test_the_claim_link_of_a_cd_sold_for_cash_is_drawn_as_a_qr_code_offline(
    new_page: Any, live_server: Any
) -> None:
    table = table_build()
    _cd_of_a_release(table)
    page = _table_open(new_page, live_server, table)
    page.context.set_offline(True)
    page.click(f"[data-product='{table.cd_product.pk}']")
    page.click("[data-pay='cash']")
    page.locator("[data-dialog='cash'] button[value='ok']").click()
    page.locator("[data-buyer-claim-qr] svg").wait_for()
    link = page.locator("[data-buyer-claim-qr]").get_attribute("data-qr")
    assert link.startswith(f"{live_server.url}/table/claim/")
    assert page.locator("[data-buyer-claim] a").get_attribute("href") == link
