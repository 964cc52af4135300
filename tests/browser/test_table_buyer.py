"""A CD sold at the table with the buyer's email and consent typed on the phone: the sale
reaches the server with them, the buyer gets their code, and the phone shows the claim
link."""

from __future__ import annotations

from typing import Any

import pytest

from disquaire.table.fan_models import SaleBuyer, SaleCode
from tests.browser.test_table import _cd_of_a_release, _sell, _table_open
from tests.table.helpers import table_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_buyer_email_and_consent_travel_with_the_sale(new_page: Any, live_server: Any) -> None:
    table = table_build()
    _cd_of_a_release(table)
    page = _table_open(new_page, live_server, table)
    page.locator("[data-buyer] summary").click()
    page.fill("[data-buyer-email]", "buyer@example.org")
    page.check("[data-buyer-consent]")
    _sell(page, table.cd_product.pk)
    page.wait_for_selector("[data-buyer-claim]:not([hidden])")
    page.wait_for_function(
        "() => document.querySelector('[data-unsent]').textContent.trim() === 'All sent'"
    )
    buyer = SaleBuyer.objects.get()
    assert buyer.email == "buyer@example.org" and buyer.consent and "news" in buyer.consent_text
    assert buyer.claim_hash and SaleCode.objects.get().code.uses == 1
    assert page.locator("[data-buyer-email]").input_value() == ""
