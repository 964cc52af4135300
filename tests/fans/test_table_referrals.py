"""A fan's QR code scanned at the merch table counts as a referral: the same rules as a
share link online (no self-referral, minimum, caps, holding period), counted once when
the sale syncs (a bank transfer when the band marks it received), taken back when the
sale is."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from disquaire.core.models import ActivityEntry
from disquaire.fans.referrals import selectors, services
from disquaire.fans.referrals.models import CreditAccount, CreditEntry, Referral
from disquaire.table import services as table_services
from disquaire.table.fan_models import SaleBuyer
from disquaire.table.models import Sale
from tests.factories import ReleaseFactory
from tests.fans.referral_helpers import REFERRER, rewards_on
from tests.table.helpers import Device, seller_client, sync, table_build

pytestmark = pytest.mark.django_db


def music_table(**rules):
    table = table_build()
    table.cd.release = ReleaseFactory(artist=table.artist)
    table.cd.save(update_fields=["release"])
    rewards_on(table.artist, **rules)
    link = services.share_link_for(email=REFERRER, release=table.cd.release)
    return table, link


def _credit(table) -> selectors.Balance:
    account = CreditAccount.objects.get(artist=table.artist, email=REFERRER)
    return selectors.credit_balance(account=account)


def test_table_sale_with_a_fans_qr_code_credits_the_fan_once_after_the_hold():
    table, link = music_table(hold_days=14)
    sale = Device().sale(table, fan={"email": "buyer@example.org", "referral": link.code})
    client = seller_client(table.seller)
    for _ in range(3):  # the phone sends it again: counted once
        sync(client, table, [sale])
    referral = Referral.objects.get()
    assert referral.order_id is None and referral.sale_ref == f"table:{sale['id']}"
    assert (referral.state, referral.source, referral.sale_minor) == ("counted", "table", 1500)
    assert referral.buyer_email == "buyer@example.org"
    assert CreditEntry.objects.get().amount_minor == 150  # 10 % of 15.00
    balance = _credit(table)
    assert (balance.available, balance.pending) == (0, 150)  # held like an online sale
    later = timezone.now() + timedelta(days=15)
    account = CreditAccount.objects.get(email=REFERRER)
    assert selectors.credit_balance(account=account, now=later).available == 150
    assert SaleBuyer.objects.get().referrer_email == REFERRER
    assert [p.email for p in selectors.top_promoters(artist=table.artist)] == [REFERRER]


def test_buyer_scanning_their_own_code_or_giving_no_address_earns_nothing():
    table, link = music_table()
    phone, client = Device(), seller_client(table.seller)
    own = phone.sale(table, fan={"email": REFERRER.upper(), "referral": link.code})
    anonymous = phone.sale(table, fan={"referral": link.code})
    sync(client, table, [own, anonymous])
    refusals = set(Referral.objects.values_list("state", "refusal"))
    assert refusals == {("refused", "self:email"), ("refused", "no-address")}
    assert not CreditEntry.objects.exists()


def test_table_sale_under_the_minimum_or_free_does_not_count():
    table, link = music_table(minimum_order_minor=2000)
    phone, client = Device(), seller_client(table.seller)
    small = phone.sale(table, fan={"email": "a@example.org", "referral": link.code})
    free = phone.sale(table, payment="free", fan={"email": "b@example.org", "referral": link.code})
    sync(client, table, [small, free])
    assert set(Referral.objects.values_list("refusal", flat=True)) == {"minimum"}
    assert not CreditEntry.objects.exists()


def test_table_credit_respects_the_monthly_cap():
    table, link = music_table(monthly_cap_minor=200)
    phone, client = Device(), seller_client(table.seller)
    sales = [
        phone.sale(table, fan={"email": f"b{i}@example.org", "referral": link.code})
        for i in range(3)
    ]
    sync(client, table, sales)
    amounts = sorted(CreditEntry.objects.values_list("amount_minor", flat=True))
    assert amounts == [50, 150]  # 1.50 + 0.50 reach the 2.00 cap; the third gets nothing
    assert Referral.objects.filter(state="counted").count() == 3


def test_a_code_of_another_band_or_unknown_is_no_referral():
    table, _link = music_table()
    other = ReleaseFactory()
    stranger = services.share_link_for(email=REFERRER, release=other)
    phone, client = Device(), seller_client(table.seller)
    sync(
        client,
        table,
        [
            phone.sale(table, fan={"email": "a@example.org", "referral": stranger.code}),
            phone.sale(table, fan={"email": "b@example.org", "referral": "nosuchcode"}),
        ],
    )
    assert not Referral.objects.exists()
    assert set(SaleBuyer.objects.values_list("referrer_email", flat=True)) == {""}


def test_bank_transfer_sale_counts_when_the_band_marks_the_money_received():
    table, link = music_table()
    sale = Device().sale(
        table, payment="bank", fan={"email": "buyer@example.org", "referral": link.code}
    )
    sync(seller_client(table.seller), table, [sale])
    referral = Referral.objects.get()
    assert referral.state == Referral.State.OPEN and not CreditEntry.objects.exists()
    table_services.sale_payment_receive(sale=Sale.objects.get(pk=sale["id"]), by="owner")
    referral.refresh_from_db()
    assert referral.state == Referral.State.COUNTED
    assert CreditEntry.objects.get().amount_minor == 150


def test_sale_taken_back_reverses_the_credit_and_again_changes_nothing():
    table, link = music_table()
    sale = Device().sale(table, fan={"email": "buyer@example.org", "referral": link.code})
    sync(seller_client(table.seller), table, [sale])
    ref = f"table:{sale['id']}"
    referral = services.referral_sale_cancel(sale_ref=ref, reason="CD returned", actor="owner")
    assert referral is not None and referral.state == Referral.State.REVERSED
    assert services.referral_sale_cancel(sale_ref=ref, reason="again", actor="owner") == referral
    assert CreditEntry.objects.filter(kind="reversed").count() == 1
    assert _credit(table).pending == 0
    assert services.referral_sale_cancel(sale_ref="table:nope", reason="", actor="x") is None
    logged = ActivityEntry.objects.get(action="referral.reverse", object_id=str(referral.pk))
    assert logged.artist_id == table.artist.pk and logged.after["sale"] == ref


def test_open_bank_sale_taken_back_never_counts():
    table, link = music_table()
    sale = Device().sale(
        table, payment="bank", fan={"email": "buyer@example.org", "referral": link.code}
    )
    sync(seller_client(table.seller), table, [sale])
    services.referral_sale_cancel(sale_ref=f"table:{sale['id']}", reason="", actor="owner")
    assert services.referral_sale_paid(sale_ref=f"table:{sale['id']}") is None
    assert Referral.objects.get().refusal == "cancelled"
    assert not CreditEntry.objects.exists()


def test_bad_sale_input_is_refused_and_writes_nothing():
    table, link = music_table()
    with pytest.raises(services.CreditError):
        services.referral_sale_record(
            artist_id=table.artist.pk, sale_ref="table:x", code=link.code,
            buyer_email="a@example.org", amount_minor=-1, currency="EUR", paid=True,
        )  # fmt: skip
    with pytest.raises(services.CreditError):
        services.referral_sale_record(
            artist_id=table.artist.pk, sale_ref="table:x", code=link.code,
            buyer_email="a@example.org", amount_minor=100, currency="euro", paid=True,
        )  # fmt: skip
    assert services.referral_sale_record(
        artist_id=table.artist.pk, sale_ref="", code=link.code,
        buyer_email="a@example.org", amount_minor=100, currency="EUR", paid=True,
    ) is None  # fmt: skip
    assert not Referral.objects.exists()


def test_a_referral_names_an_order_or_a_sale_never_both_nor_none():
    table, link = music_table()
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            artist=table.artist, link=link, referrer_email=REFERRER, visited_at=timezone.now()
        )
