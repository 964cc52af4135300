"""Paying at the table by SEPA transfer (EPC QR code), and the report as a PDF."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from disquaire.payments.models import PaymentSettings
from disquaire.table import selectors, services
from disquaire.table.epc import EpcError, epc_amount, epc_payload, sale_reference
from disquaire.table.errors import TableError
from disquaire.table.models import Sale
from tests.factories import MembershipFactory
from tests.table.helpers import Device, Table, seller_client, sync, table_build


def test_epc_payload_has_the_standard_fields_in_order_one_per_line():
    payload = epc_payload(
        bic="bnpa frpp xxx",
        name="  Les   Disquaires ",
        iban="fr76 3000 6000 0112 3456 7890 189",
        cents=1250,
        reference="MT-0A1B2C3D",
    )
    assert payload == (
        "BCD\n002\n1\nSCT\nBNPAFRPPXXX\nLes Disquaires\nFR7630006000011234567890189\n"
        "EUR12.50\n\n\nMT-0A1B2C3D"
    )
    assert "\r" not in payload


def test_epc_amount_is_euros_with_a_dot_and_two_decimals():
    assert [epc_amount(c) for c in (1, 10, 1250, 2000, 123456)] == [
        "EUR0.01",
        "EUR0.10",
        "EUR12.50",
        "EUR20.00",
        "EUR1234.56",
    ]
    with pytest.raises(EpcError):
        epc_amount(0)


def test_epc_payload_without_bic_and_refuses_what_a_bank_cannot_read():
    payload = epc_payload(bic="", name="Band", iban="DE89370400440532013000", cents=500,
                          reference="MT-1")  # fmt: skip
    assert payload.split("\n")[4] == ""
    with pytest.raises(EpcError):
        epc_payload(bic="", name="", iban="DE89370400440532013000", cents=500, reference="x")
    with pytest.raises(EpcError):
        epc_payload(bic="ABC", name="Band", iban="DE89", cents=500, reference="x")


def test_sale_reference_is_the_random_tail_of_the_uuid():
    sale_id = uuid.UUID("01938f2a-7b3c-7d4e-8f5a-0123456789ab")
    assert sale_reference(sale_id) == "MT-456789AB"
    assert sale_reference(str(sale_id)) == "MT-456789AB"


def _bank(table: Table, **fields: str) -> None:
    PaymentSettings.objects.update_or_create(
        artist=table.artist,
        defaults={
            "bank_holder": "Les Disquaires",
            "bank_iban": "FR76 3000 6000 0112 3456 7890 189",
            "bank_bic": "BNPAFRPP",
            **fields,
        },
    )


@pytest.mark.django_db
def test_catalogue_carries_bank_details_only_when_set_and_in_euros():
    table = table_build()
    table.artist.currency = "EUR"
    table.artist.save(update_fields=["currency"])
    assert selectors.catalogue(artist=table.artist, seller=table.seller)["bank"] is None
    _bank(table)
    assert selectors.catalogue(artist=table.artist, seller=table.seller)["bank"] == {
        "holder": "Les Disquaires",
        "iban": "FR7630006000011234567890189",
        "bic": "BNPAFRPP",
    }
    table.artist.currency = "USD"
    table.artist.save(update_fields=["currency"])
    assert selectors.catalogue(artist=table.artist, seller=table.seller)["bank"] is None


@pytest.mark.django_db
def test_epc_qr_is_an_svg_for_the_seller_and_404_without_bank_details():
    table = table_build()
    table.artist.currency = "EUR"
    table.artist.save(update_fields=["currency"])
    client = seller_client(table.seller)
    url = f"/table/{table.artist.slug}/epc.svg?sale={uuid.uuid4()}&amount=1500"
    assert client.get(url).status_code == 404
    _bank(table)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content
    assert client.get(f"/table/{table.artist.slug}/epc.svg?sale=x&amount=1500").status_code == 400
    assert Client().get(url).status_code in (302, 403)


@pytest.mark.django_db
def test_bank_transfer_sale_is_pending_until_the_band_marks_it_received():
    table = table_build()
    sale = Device().sale(table, payment="bank")
    sync(seller_client(table.seller), table, [Device().sale(table), sale])
    report = selectors.show_report(show=table.show)
    assert (report.cash, report.bank, report.bank_pending) == (1500, 0, 1500)
    assert [str(s.pk) for s in report.pending_sales] == [sale["id"]]
    owner = MembershipFactory(artist=table.artist).user
    band = Client()
    band.force_login(owner)
    base = f"/table/{table.artist.slug}"
    page = band.get(f"{base}/shows/{table.show.pk}/report/").content.decode()
    assert sale_reference(sale["id"]) in page
    # A seller cannot mark it: the band does, once.
    url = f"{base}/sales/{sale['id']}/received"
    assert seller_client(table.seller).post(url).status_code == 403
    assert band.post(url).status_code == 302
    received = Sale.objects.get(pk=sale["id"])
    assert received.payment_received_at is not None
    assert band.post(url).status_code == 404
    with pytest.raises(TableError):
        services.sale_payment_receive(sale=received, by="x")
    report = selectors.show_report(show=table.show)
    assert (report.bank, report.bank_pending, report.gross) == (1500, 0, 3000)


@pytest.mark.django_db
def test_report_pdf_has_the_same_figures_as_the_csv():
    table = table_build()
    sync(seller_client(table.seller), table, [Device().sale(table, [(table.shirt_product, 2)])])
    owner = MembershipFactory(artist=table.artist).user
    band = Client()
    band.force_login(owner)
    base = f"/table/{table.artist.slug}/shows/{table.show.pk}"
    pdf = band.get(f"{base}/report.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # Uncompressed pages: the text is in the file as drawn.
    assert b"T-shirt M" in pdf.content
    csv = band.get(f"{base}/report.csv").content.decode()
    assert "40" in csv and b"40" in pdf.content
    assert seller_client(table.seller).get(f"{base}/report.pdf").status_code == 403
