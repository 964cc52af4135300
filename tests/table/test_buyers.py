"""From CD buyer to online fan: a table sale of music gives its buyer a download code,
the address typed at the table gets the download once and, with consent, a follow
request from the table; a fan's share code typed at the table is kept once."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.utils import timezone

from disquaire.delivery.codes import code_display
from disquaire.delivery.models import DownloadCode, Entitlement
from disquaire.fans.follow_models import ConsentSource, Follower, FollowerState
from disquaire.fans.referrals.services import share_link_for
from disquaire.fans.updates import segment_followers, update_recipients, update_save
from disquaire.fans.updates_models import Segment
from disquaire.table import services
from disquaire.table.fan_models import SaleBuyer, SaleCode
from disquaire.table.fan_selectors import show_came_online
from disquaire.table.fan_services import claim_hash
from disquaire.table.models import Sale
from tests.factories import ReleaseFactory
from tests.table.helpers import Device, seller_client, sync, table_build

pytestmark = pytest.mark.django_db

WORDING = "Get news from the band by email (unsubscribe any time)."


def music_table():
    table = table_build()
    table.cd.release = ReleaseFactory(artist=table.artist)
    table.cd.save(update_fields=["release"])
    return table


def test_sale_with_email_and_consent_sent_three_times_makes_one_follower_and_one_mail(
    django_capture_on_commit_callbacks,
):
    table = music_table()
    client = seller_client(table.seller)
    sale = Device().sale(
        table, fan={"email": "Buyer@Example.org", "consent": True, "wording": WORDING}
    )
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert sync(client, table, [sale]).json()["results"][0]["status"] == "accepted"
    follower = Follower.objects.get()
    assert follower.email == "buyer@example.org"
    assert follower.consent_source == ConsentSource.TABLE
    assert follower.consent_text == WORDING
    assert "Le Trabendo" in follower.consent_where and "Sam" in follower.consent_where
    assert follower.state == FollowerState.PENDING  # the usual double opt-in
    downloads = [m for m in mail.outbox if "download" in m.subject.lower()]
    confirms = [m for m in mail.outbox if m not in downloads]
    assert len(downloads) == 1 and len(confirms) == 1
    assert SaleBuyer.objects.get().consent is True


def test_code_is_made_for_the_sale_and_consumed_by_its_buyer(django_capture_on_commit_callbacks):
    table = music_table()
    sale = Device().sale(table, fan={"email": "buyer@example.org"})
    with django_capture_on_commit_callbacks(execute=True):
        sync(seller_client(table.seller), table, [sale])
    given = SaleCode.objects.get()
    assert str(given.sale_id) == sale["id"] and given.release == table.cd.release
    assert DownloadCode.objects.get(pk=given.code_id).uses == 1
    assert Entitlement.objects.filter(email="buyer@example.org").count() == 1
    assert not Follower.objects.exists()  # no consent, no follower


def test_sale_without_address_gets_a_code_to_claim_by_qr():
    table = music_table()
    sale = Device().sale(table, fan={"claim": "s" * 32})
    sync(seller_client(table.seller), table, [sale])
    code = SaleCode.objects.get().code
    assert code.uses == 0
    assert SaleBuyer.objects.get().claim_hash == claim_hash("s" * 32)


def test_shirt_sale_makes_no_code():
    table = music_table()
    sync(seller_client(table.seller), table, [Device().sale(table, [(table.shirt_product, 1)])])
    assert not SaleCode.objects.exists()


def test_referral_code_kept_once_and_never_the_buyers_own():
    table = music_table()
    link = share_link_for(email="friend@example.org", release=table.cd.release)
    own = share_link_for(email="buyer@example.org", release=table.cd.release)
    phone = Device()
    client = seller_client(table.seller)
    first = phone.sale(table, fan={"email": "other@example.org", "referral": link.code})
    second = phone.sale(table, fan={"email": "buyer@example.org", "referral": own.code})
    for _ in range(2):
        sync(client, table, [first, second])
    buyers = {str(b.sale_id): b for b in SaleBuyer.objects.all()}
    assert len(buyers) == 2
    assert buyers[first["id"]].referrer_email == "friend@example.org"
    assert buyers[second["id"]].referrer_email == ""


def test_flagged_sale_gives_nothing_yet():
    table = music_table()
    sale = Device().sale(table, fan={"email": "buyer@example.org"}, total=1)
    sync(seller_client(table.seller), table, [sale])
    assert Sale.objects.get().status == Sale.Status.FLAGGED
    assert not SaleCode.objects.exists() and not SaleBuyer.objects.exists()


def test_qr_claim_opens_the_redeem_page_with_the_sales_code_after_sync_only(client):
    table = music_table()
    sale = Device().sale(table, fan={"claim": "s" * 32})
    url = f"/table/claim/{sale['id']}/{'s' * 32}/"
    assert client.get(url).status_code == 200  # not synced yet: come back later
    sync(seller_client(table.seller), table, [sale])
    code = SaleCode.objects.get().code
    answer = client.get(url)
    assert answer.status_code == 302 and code_display(code.code) in answer["Location"]
    wrong = client.get(f"/table/claim/{sale['id']}/{'t' * 32}/")
    assert wrong.status_code == 200 and code_display(code.code) not in wrong.content.decode()


def test_show_report_counts_buyers_who_came_online(django_capture_on_commit_callbacks):
    table = music_table()
    phone = Device()
    sales = [
        phone.sale(table, fan={"email": "a@example.org", "consent": True, "wording": WORDING}),
        phone.sale(table, fan={"email": "b@example.org"}),
        phone.sale(table, fan={"claim": "c" * 32}),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        sync(seller_client(table.seller), table, sales)
    online = show_came_online(show=table.show)
    assert (online.music_sales, online.emails, online.consents, online.redeemed) == (3, 2, 1, 2)


def test_segment_table_show_selects_the_shows_buyers_who_follow():
    table = music_table()
    other_show = services.show_open(artist=table.artist, date=date(2026, 12, 5), venue="Elsewhere")
    phone = Device()
    sync(
        seller_client(table.seller),
        table,
        [
            phone.sale(table, fan={"email": "here@example.org", "consent": True, "wording": "w"}),
            phone.sale(table, fan={"email": "quiet@example.org"}),
        ],
    )
    now = timezone.now()
    for email in ("here@example.org", "quiet@example.org", "away@example.org"):
        Follower.objects.update_or_create(
            artist=table.artist,
            email=email,
            defaults={"state": FollowerState.CONFIRMED, "consent_source": "page",
                      "consent_at": now},
        )  # fmt: skip
    chosen = segment_followers(
        artist=table.artist, segment=Segment.TABLE_SHOW, show_id=table.show.pk
    )
    assert set(chosen.values_list("email", flat=True)) == {"here@example.org", "quiet@example.org"}
    none = segment_followers(artist=table.artist, segment=Segment.TABLE_SHOW, show_id=other_show.pk)
    assert not none.exists()
    update = update_save(
        artist=table.artist,
        subject="Thanks",
        body="For coming",
        segment=Segment.TABLE_SHOW,
        segment_show_id=table.show.pk,
    )
    assert update_recipients(update=update).count() == 2
    stranger_show = table_build().show
    assert not segment_followers(
        artist=table.artist, segment=Segment.TABLE_SHOW, show_id=stranger_show.pk
    ).exists()
