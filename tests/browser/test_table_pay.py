"""Paying at the merch table by bank transfer: the phone shows the EPC QR code while
online, the account and reference as text offline, and the sale reaches the shop as a
bank transfer pending payment, with the reference the fan's transfer carries."""

from __future__ import annotations

from typing import Any

import pytest

from disquaire.payments.models import PaymentSettings
from disquaire.table.epc import sale_reference
from disquaire.table.models import Sale
from tests.browser.test_table import _table_open
from tests.table.helpers import table_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bank_transfer_pane_shows_the_qr_online_and_the_text_offline(
    new_page: Any, live_server: Any
) -> None:
    table = table_build()
    table.artist.currency = "EUR"
    table.artist.save(update_fields=["currency"])
    PaymentSettings.objects.create(
        artist=table.artist, bank_holder="Les Disquaires",
        bank_iban="FR7630006000011234567890189", bank_bic="BNPAFRPP",
    )  # fmt: skip
    page = _table_open(new_page, live_server, table)
    page.click(f"[data-product='{table.cd_product.pk}']")
    page.click("[data-pay-bank]")
    dialog = page.locator("[data-dialog='bank']")
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-bank-qr]');"
        " return !i.hidden && i.complete && i.naturalWidth > 0; }"
    )
    assert dialog.locator("[data-bank-iban]").inner_text() == "FR76 3000 6000 0112 3456 7890 189"
    shown = dialog.locator("[data-bank-reference]").inner_text()
    # Recorded on the phone, then sent at once: wait for the server's answer.
    with page.expect_response(lambda r: r.url.endswith("/sync") and r.ok):
        dialog.locator("button[value='ok']").click()
    sale = Sale.objects.get()
    assert (sale.payment, sale.total, sale.payment_received_at) == ("bank", 1500, None)
    assert sale.reference == shown == sale_reference(sale.pk)
    # Offline: no QR code, the details as text.
    page.context.set_offline(True)
    page.click(f"[data-product='{table.cd_product.pk}']")
    page.click("[data-pay-bank]")
    assert page.locator("[data-bank-qr]").is_hidden()
    assert page.locator("[data-dialog='bank'] [data-bank-holder]").inner_text() == "Les Disquaires"
