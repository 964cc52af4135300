"""A sale recorded by mistake is voided by the band: it counts in no total, its units go
back to the place they left, a fan's referral credited for it is reversed, one audit
entry says who did it and why; what may not be voided is refused and writes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from disquaire.core.models import ActivityEntry
from disquaire.fans.referrals import services as referral_services
from disquaire.fans.referrals.models import CreditEntry, Referral
from disquaire.orders.models import Payment
from disquaire.orders.services import payment_confirm
from disquaire.stock.models import Movement, Reason
from disquaire.stock.selectors import balance, balance_drift
from disquaire.table import selectors, services
from disquaire.table.errors import TableError
from disquaire.table.exports import show_report_csv
from disquaire.table.models import Sale, Show
from tests.factories import MembershipFactory, ReleaseFactory
from tests.fans.referral_helpers import REFERRER, rewards_on
from tests.shop.factories import PaymentSettingsFactory
from tests.table.helpers import Device, Table, seller_client, sync, table_build

pytestmark = pytest.mark.django_db


def _sold(table: Table, *sales: dict) -> list[Sale]:
    sync(seller_client(table.seller), table, list(sales))
    return [Sale.objects.get(pk=s["id"]) for s in sales]


def _band(table: Table) -> Client:
    client = Client()
    client.force_login(MembershipFactory(artist=table.artist).user)
    return client


def _report(table: Table) -> selectors.Report:
    return selectors.show_report(show=Show.objects.get(pk=table.show.pk))


def _writes() -> tuple[int, int, int]:
    return (
        Movement.objects.count(),
        ActivityEntry.objects.filter(action="table.sale_void").count(),
        Sale.objects.filter(status=Sale.Status.VOIDED).count(),
    )


def test_cash_sale_voided_puts_its_units_back_and_counts_in_no_total():
    table = table_build(cds=20)
    phone = Device()
    kept, mistake = _sold(
        table,
        phone.sale(table, [(table.cd_product, 1)]),
        phone.sale(table, [(table.deal, 1), (table.shirt_product, 1)]),
    )
    assert balance(item=table.cd, place=table.bag) == 17
    voided = services.sale_void(sale=mistake, reason="Rang it twice", actor=None, by="owner")
    assert voided.status == Sale.Status.VOIDED
    assert (voided.void_reason, voided.voided_by) == ("Rang it twice", "owner")
    assert voided.voided_at is not None
    # The units are back in the bag, through the ledger, naming the sale.
    assert balance(item=table.cd, place=table.bag) == 19
    assert balance(item=table.shirt, place=table.bag) == 10
    back = Movement.objects.filter(reason=Reason.RESTOCKED).order_by("item_id")
    assert [(m.item_id, m.quantity, m.to_place_id, m.from_place_id, m.reference_type,
             m.reference_id) for m in back] == [
        (table.cd.pk, 2, table.bag.pk, None, "table_sale", str(mistake.pk)),
        (table.shirt.pk, 1, table.bag.pk, None, "table_sale", str(mistake.pk)),
    ]  # fmt: skip
    assert balance_drift() == []
    call_command("stock-check")  # every balance equals its ledger
    # One audit entry, in the band's activity log.
    entry = ActivityEntry.objects.get(action="table.sale_void")
    assert entry.artist_id == table.artist.pk and entry.actor == "owner"
    assert entry.object_id == str(mistake.pk)
    assert entry.after["reason"] == "Rang it twice"
    assert entry.after["returned"] == {str(table.cd.pk): 2, str(table.shirt.pk): 1}
    # The totals leave it out; it is listed apart.
    report = _report(table)
    assert (report.sales, report.gross, report.cash) == (1, kept.total, kept.total)
    assert report.expected_cash == kept.total
    assert report.by_category == {"music": 1500}
    assert {line.item.name: line.sold for line in report.lines} == {"CD": 1}
    assert [s.pk for s in report.voided] == [mistake.pk]
    csv = show_report_csv(show=table.show)
    assert "CD,,1," in csv and "Rang it twice" in csv


def test_free_and_bank_transfer_sales_can_be_voided_and_a_voided_transfer_waits_no_more():
    table = table_build()
    free, bank = _sold(
        table, Device().sale(table, payment="free"), Device().sale(table, payment="bank")
    )
    assert selectors.pending_transfers(artist=table.artist).count() == 1
    for sale in (free, bank):
        services.sale_void(sale=sale, reason="test sale", by="owner")
    assert balance(item=table.cd, place=table.bag) == 20
    assert not selectors.pending_transfers(artist=table.artist).exists()
    report = _report(table)
    assert (report.sales, report.free_units, report.bank_pending) == (0, 0, 0)
    with pytest.raises(TableError):
        services.sale_payment_receive(sale=bank, by="owner")


def test_a_flagged_sale_that_took_nothing_is_voided_without_putting_units_back():
    table = table_build()
    raw = Device().sale(table)
    raw["lines"][0]["unit_price"] = 1000
    raw["total"] = 1000
    (flagged,) = _sold(table, raw)
    assert flagged.status == Sale.Status.FLAGGED
    services.sale_void(sale=flagged, reason="wrong price", by="owner")
    assert not Movement.objects.filter(reason=Reason.RESTOCKED).exists()
    assert balance(item=table.cd, place=table.bag) == 20
    assert not selectors.flagged_sales(artist=table.artist).exists()


def test_units_a_count_out_already_reckoned_with_are_not_put_back_twice():
    table = table_build(cds=20)
    services.show_count(show=table.show, stage="in", counts={table.cd: 20})
    (mistake,) = _sold(table, Device().sale(table))
    # The CD never left: the count out finds 20 and sets the bag's balance to it.
    services.show_count(show=table.show, stage="out", counts={table.cd: 20})
    services.sale_void(sale=mistake, reason="never sold", by="owner")
    assert balance(item=table.cd, place=table.bag) == 20
    assert not Movement.objects.filter(reason=Reason.RESTOCKED).exists()
    (line,) = _report(table).lines
    assert (line.sold, line.difference) == (0, 0)


def test_the_fans_referral_credited_for_the_sale_is_reversed():
    table = table_build()
    table.cd.release = ReleaseFactory(artist=table.artist)
    table.cd.save(update_fields=["release"])
    rewards_on(table.artist)
    link = referral_services.share_link_for(email=REFERRER, release=table.cd.release)
    (sale,) = _sold(
        table, Device().sale(table, fan={"email": "buyer@example.org", "referral": link.code})
    )
    assert Referral.objects.get().state == Referral.State.COUNTED
    services.sale_void(sale=sale, reason="fan changed their mind", by="owner")
    referral = Referral.objects.get()
    assert referral.sale_ref == f"table:{sale.pk}"
    assert referral.state == Referral.State.REVERSED
    reversed_ = CreditEntry.objects.get(kind=CreditEntry.Kind.REVERSED)
    assert reversed_.reason == "fan changed their mind"


def test_an_already_voided_sale_is_refused_and_nothing_more_is_written():
    table = table_build()
    (sale,) = _sold(table, Device().sale(table))
    services.sale_void(sale=sale, reason="twice", by="owner")
    before = _writes()
    with pytest.raises(TableError, match="already voided"):
        services.sale_void(sale=sale, reason="again", by="owner")
    assert _writes() == before
    sale.refresh_from_db()
    assert sale.void_reason == "twice"


def test_a_void_without_a_reason_or_of_a_card_sale_is_refused_and_writes_nothing():
    table = table_build()
    cash, card = _sold(table, Device().sale(table), Device().sale(table, payment="card"))
    before = _writes()
    with pytest.raises(TableError):
        services.sale_void(sale=cash, reason="  ", by="owner")
    with pytest.raises(TableError, match="card reader"):
        services.sale_void(sale=card, reason="mistake", by="owner")
    assert _writes() == before
    assert not selectors.sale_voidable(card)


def test_a_sale_paid_on_the_fans_phone_is_refused_refund_the_order_instead(
    django_capture_on_commit_callbacks,
):
    table = table_build()
    PaymentSettingsFactory(artist=table.artist, test_mode=True)
    raw = Device().sale(table, payment="phone")
    seller_client(table.seller).post(
        f"/table/{table.artist.slug}/checkout", data={"sale": raw}, content_type="application/json"
    )
    sale = Sale.objects.get(pk=raw["id"])
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirm(payment=Payment.objects.get(order=sale.order), actor="test")
    sale.refresh_from_db()
    assert sale.status == Sale.Status.ACCEPTED
    before = _writes()
    with pytest.raises(TableError, match="refund the order instead"):
        services.sale_void(sale=sale, reason="mistake", by="owner")
    assert _writes() == before
    # Through the page: the band is told the same, nothing changes.
    answer = _band(table).post(
        f"/table/{table.artist.slug}/sales/{sale.pk}/void", {"reason": "mistake"}, follow=True
    )
    assert "refund the order instead" in answer.content.decode()
    assert _writes() == before


def test_the_band_voids_a_sale_from_the_show_report_page():
    table = table_build()
    kept, mistake = _sold(table, Device().sale(table), Device().sale(table))
    band = _band(table)
    base = f"/table/{table.artist.slug}"
    page = band.get(f"{base}/shows/{table.show.pk}/report/").content.decode()
    assert page.count("<summary>Void this sale<") == 2 and 'name="reason" required' in page
    answer = band.post(f"{base}/sales/{mistake.pk}/void", {"reason": "double tap"})
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"/shows/{table.show.pk}/report/#sales")
    mistake.refresh_from_db()
    assert mistake.status == Sale.Status.VOIDED
    assert mistake.voided_by.startswith("backstage:")
    page = band.get(f"{base}/shows/{table.show.pk}/report/").content.decode()
    assert page.count("<summary>Void this sale<") == 1  # only the one still standing
    assert "Voided sales" in page and "double tap" in page
    # Without a reason: refused, told, nothing voided.
    band.post(f"{base}/sales/{kept.pk}/void", {"reason": ""})
    kept.refresh_from_db()
    assert kept.status == Sale.Status.ACCEPTED


def test_another_band_a_seller_or_a_stranger_cannot_void_a_sale():
    table = table_build()
    other = table_build()
    (sale,) = _sold(table, Device().sale(table))
    url = f"/table/{table.artist.slug}/sales/{sale.pk}/void"
    # A member of another band: hidden (as the report is).
    assert _band(other).post(url, {"reason": "x"}).status_code == 404
    # The other band's own address, naming this band's sale: not found there either.
    other_url = f"/table/{other.artist.slug}/sales/{sale.pk}/void"
    assert _band(other).post(other_url, {"reason": "x"}).status_code == 404
    # The band's invited seller: refused, as every band page.
    assert seller_client(table.seller).post(url, {"reason": "x"}).status_code == 403
    # Signed out: the backstage sign-in.
    assert Client().post(url, {"reason": "x"}).status_code == 302
    sale.refresh_from_db()
    assert sale.status == Sale.Status.ACCEPTED
    assert balance(item=table.cd, place=table.bag) == 19


def test_units_of_a_voided_sale_leave_the_merch_table_column_of_the_channel_stats():
    from disquaire.consignment.selectors import units_sold_offline_by_month

    table = table_build()
    table.cd.release = ReleaseFactory(artist=table.artist)
    table.cd.save(update_fields=["release"])
    _kept, mistake = _sold(table, Device().sale(table), Device().sale(table, [(table.deal, 1)]))

    def at_table() -> int:
        found = units_sold_offline_by_month(artist=table.artist)
        return sum(v["sold_table"] for (release, _m), v in found.items() if release)

    assert at_table() == 3
    services.sale_void(sale=mistake, reason="mistake", by="owner")
    assert at_table() == 1
