"""A night at the table: count in, sell, count out, close; the report reconciles."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from disquaire.stock.models import Movement, Reason
from disquaire.stock.selectors import balance
from disquaire.table import selectors, services
from disquaire.table.models import Show, ShowCount
from tests.factories import MembershipFactory
from tests.table.helpers import Device, seller_client, sync, table_build

pytestmark = pytest.mark.django_db


def test_count_in_sell_count_out_reconciles_and_records_the_missing_units():
    table = table_build(cds=20, shirts=10)
    services.show_count(show=table.show, stage="in", counts={table.cd: 18, table.shirt: 10})
    assert balance(item=table.cd, place=table.bag) == 18  # two were not in the bag
    phone = Device()
    sync(seller_client(table.seller), table, [
        phone.sale(table, [(table.cd_product, 2)]),
        phone.sale(table, [(table.deal, 1), (table.shirt_product, 1)], payment="card",
                   reference="T-88"),
        phone.sale(table, [(table.shirt_product, 1)], payment="free"),
    ])  # fmt: skip
    # 4 CDs and 2 shirts sold; one CD walked away, one shirt was found.
    services.show_count(show=table.show, stage="out", counts={table.cd: 13, table.shirt: 9})
    services.show_close(show=table.show, cash_counted=5000 + 3000 - 500)
    report = selectors.show_report(show=Show.objects.get(pk=table.show.pk))
    lines = {line.item.name: line for line in report.lines}
    assert (lines["CD"].counted_in, lines["CD"].sold, lines["CD"].counted_out) == (18, 4, 13)
    assert lines["CD"].difference == -1
    assert lines["T-shirt M"].difference == +1
    counted = Movement.objects.filter(reason=Reason.COUNTED, item__artist=table.artist)
    assert sorted((m.item.name, bool(m.from_place_id)) for m in counted) == [
        ("CD", True), ("CD", True), ("T-shirt M", False)
    ]  # fmt: skip
    assert report.gross == 3000 + 2500 + 2000
    assert (report.cash, report.card, report.free_units) == (3000, 4500, 1)


def test_cash_expected_from_the_float_and_cash_sales():
    table = table_build()
    table.show.cash_float = 5000
    table.show.save()
    sync(seller_client(table.seller), table, [Device().sale(table, [(table.cd_product, 2)])])
    services.show_close(show=table.show, cash_counted=7900)
    report = selectors.show_report(show=Show.objects.get(pk=table.show.pk))
    assert report.expected_cash == 8000
    assert report.cash_difference == -100


def test_venue_cut_per_category_and_what_the_band_takes_home():
    table = table_build()
    show = table.show
    show.cut = Show.Cut.PERCENT
    show.cut_music_bp = 1000  # 10 % of music
    show.cut_apparel_bp = 2500  # 25 % of apparel
    show.save()
    phone = Device()
    sync(seller_client(table.seller), table, [
        phone.sale(table, [(table.cd_product, 1)]),
        phone.sale(table, [(table.shirt_product, 2)]),
    ])  # fmt: skip
    report = selectors.show_report(show=show)
    assert report.by_category == {"music": 1500, "apparel": 4000}
    assert report.venue_cut == 150 + 1000
    assert report.take_home == 5500 - 1150
    show.cut, show.cut_fee = Show.Cut.FIXED, 2000
    show.save()
    assert selectors.show_report(show=show).take_home == 3500


def test_count_in_is_offered_from_the_last_shows_count_out():
    table = table_build()
    services.show_count(show=table.show, stage="out", counts={table.cd: 7, table.shirt: 3})
    services.show_close(show=table.show, cash_counted=None)
    tomorrow = services.show_open(
        artist=table.artist, date=date(2026, 12, 5), venue="La Maroquinerie"
    )
    assert selectors.count_defaults(show=tomorrow, stage=ShowCount.Stage.IN) == {
        table.cd.pk: 7, table.shirt.pk: 3
    }  # fmt: skip


def test_flagged_sale_resolved_by_the_band_takes_the_units():
    table = table_build()
    sale = Device().sale(table)
    sale["lines"][0]["unit_price"] = 1000
    sale["total"] = 1000
    sync(seller_client(table.seller), table, [sale])
    flagged = selectors.flagged_sales(artist=table.artist).get()
    owner = MembershipFactory(artist=table.artist).user
    client = Client()
    client.force_login(owner)
    response = client.post(
        f"/table/{table.artist.slug}/manage/sales/{flagged.pk}/resolve", {"take": "1"}
    )
    assert response.status_code == 302
    flagged.refresh_from_db()
    assert flagged.status == "resolved"
    assert balance(item=table.cd, place=table.bag) == 19


def test_seller_counts_and_closes_through_the_pages():
    table = table_build()
    client = seller_client(table.seller)
    base = f"/table/{table.artist.slug}/shows/{table.show.pk}"
    page = client.get(f"{base}/count/in/")
    assert page.status_code == 200
    assert client.post(f"{base}/count/in/", {f"item-{table.cd.pk}": "20"}).status_code == 302
    assert client.post(f"{base}/count/out/", {f"item-{table.cd.pk}": "20"}).status_code == 302
    assert client.post(f"{base}/close/", {"cash_counted": "12.50"}).status_code == 302
    table.show.refresh_from_db()
    assert (table.show.state, table.show.cash_counted) == ("closed", 1250)
    # The report is the band's.
    assert client.get(f"{base}/report/").status_code == 403


def test_report_page_and_csv_for_the_band():
    table = table_build()
    sync(seller_client(table.seller), table, [Device().sale(table)])
    owner = MembershipFactory(artist=table.artist).user
    client = Client()
    client.force_login(owner)
    base = f"/table/{table.artist.slug}/shows/{table.show.pk}"
    assert client.get(f"{base}/report/").status_code == 200
    csv = client.get(f"{base}/report.csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert "CD,,1," in csv.content.decode()


def test_the_bands_and_the_sellers_actions_are_in_the_audit_log():
    from disquaire.core.models import ActivityEntry
    from disquaire.orders.models import AuditEntry

    table = table_build()
    client = seller_client(table.seller)
    base = f"/table/{table.artist.slug}/shows/{table.show.pk}"
    client.post(f"{base}/count/in/", {f"item-{table.cd.pk}": "20"})
    client.post(f"{base}/close/", {"cash_counted": "0"})
    owner = MembershipFactory(artist=table.artist).user
    band = Client()
    band.force_login(owner)
    band.post(f"/table/{table.artist.slug}/manage/sellers/{table.seller.pk}/revoke")
    entries = {e.action: e.actor for e in ActivityEntry.objects.filter(action__startswith="table.")}
    assert entries["table.show_count_in"] == f"table-seller:{table.seller.pk}:Sam"
    assert entries["table.show_close"] == f"table-seller:{table.seller.pk}:Sam"
    assert entries["table.seller_revoke"] == f"backstage:{owner.email}"
    assert "table.seller_invite" in entries
    # One log only: the band's activity log, not the orders' (no order changed here).
    assert not AuditEntry.objects.filter(action__startswith="table.").exists()


def test_a_count_made_again_replaces_the_last_one():
    table = table_build(cds=20, shirts=10)
    services.show_count(show=table.show, stage="in", counts={table.cd: 18, table.shirt: 10})
    services.show_count(show=table.show, stage="in", counts={table.cd: 17})
    rows = ShowCount.objects.filter(show=table.show, stage="in")
    assert {(r.item_id, r.quantity) for r in rows} == {(table.cd.pk, 17), (table.shirt.pk, 10)}
    assert balance(item=table.cd, place=table.bag) == 17


def test_the_show_pages_write_english_short_dates_with_the_month_in_letters():
    from django.utils import translation

    table = table_build()  # a show on 4 December 2026
    seller = seller_client(table.seller)
    band = Client()
    band.force_login(MembershipFactory(artist=table.artist).user)
    base = f"/table/{table.artist.slug}"
    show = f"{base}/shows/{table.show.pk}"
    pages = [
        (seller, f"{base}/shows/"),
        (seller, f"{show}/count/in/"),
        (seller, f"{show}/close/"),
        (band, f"{show}/report/"),
        (band, f"{base}/manage/"),
    ]
    for client, url in pages:
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        # Not "12/04/2026", which a reader outside the US takes for the 12th of April.
        assert "4 Dec 2026" in page and "12/04/2026" not in page, url
        with translation.override("fr"):
            french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        assert "04/12/2026" in french, url
