"""Shows opened and counted on a phone, offline: each event recorded once whatever the
number of sendings, in order, before the sales that name the show by its phone-made id;
a count the server cannot apply is kept and flagged, never dropped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from disquaire.stock.models import Item, Movement, Place, Reason
from disquaire.stock.selectors import balance
from disquaire.stock.services import movement_record
from disquaire.table import services
from disquaire.table.models import Sale, Show, ShowCount, ShowEvent
from tests.factories import MembershipFactory
from tests.table.helpers import Device, seller_client, table_build, uuid7

pytestmark = pytest.mark.django_db


class Phone(Device):
    """A phone that also opens shows and counts (its own sequence of events)."""

    def __init__(self) -> None:
        super().__init__()
        self.event_seq = 0

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.event_seq += 1
        return {
            "id": str(uuid7()),
            "kind": kind,
            "device_id": str(self.id),
            "device_seq": self.event_seq,
            "device_time": datetime.now(UTC).isoformat(),
            **fields,
        }

    def open(self) -> dict[str, Any]:
        return self.event("open", date="2026-12-05", venue="La Cave", town="Lyon")


def send(client, table, *, events=(), sales=()) -> dict[str, Any]:
    response = client.post(
        f"/table/{table.artist.slug}/sync",
        data={"events": list(events), "sales": list(sales)},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def counted_rows(table):
    return Movement.objects.filter(reason=Reason.COUNTED, item__artist=table.artist)


def gig(table, phone):
    """Open, count in (2 CDs missing), a sale naming the show by its phone-made id, count out."""
    opened = phone.open()
    count_in = phone.event("in", show=opened["id"], counts={str(table.cd.pk): 18})
    sale = phone.sale(table, show=opened["id"])
    count_out = phone.event("out", show=opened["id"], counts={str(table.cd.pk): 17})
    return [opened, count_in, count_out], [sale]


def test_a_gig_made_offline_sent_three_times_is_recorded_once():
    table = table_build()
    client = seller_client(table.seller)
    events, sales = gig(table, Phone())
    answers = [send(client, table, events=events, sales=sales) for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    assert [a["status"] for a in answers[0]["events"]] == ["accepted"] * 3
    assert answers[0]["results"][0]["status"] == "accepted"
    show = Show.objects.get(client_id=events[0]["id"])
    assert (show.venue, show.town, str(show.date)) == ("La Cave", "Lyon", "2026-12-05")
    assert answers[0]["events"][0]["show"] == show.pk
    assert ShowEvent.objects.count() == 3
    assert Sale.objects.get().show == show
    counts = dict(ShowCount.objects.filter(show=show).values_list("stage", "quantity"))
    assert counts == {"in": 18, "out": 17}
    # 20 → counted 18 (−2), sold 1 → 17, counted 17: agrees.
    assert counted_rows(table).count() == 1
    assert balance(item=table.cd, place=table.bag) == 17


def test_counts_and_sales_before_their_show_wait_and_are_taken_once_it_arrives():
    table = table_build()
    client = seller_client(table.seller)
    events, sales = gig(table, Phone())
    early = send(client, table, events=events[1:], sales=sales)
    assert {a["status"] for a in early["events"]} == {"later"}
    assert early["results"][0]["status"] == "later"
    assert not ShowEvent.objects.exists() and not Sale.objects.exists()
    assert not counted_rows(table).exists()
    first = send(client, table, events=events, sales=sales)
    assert [a["status"] for a in first["events"]] == ["accepted"] * 3
    assert first["results"][0]["status"] == "accepted"
    assert send(client, table, events=events, sales=sales) == first


def test_a_count_of_a_deleted_item_is_kept_flagged_and_writes_nothing():
    table = table_build()
    client = seller_client(table.seller)
    phone = Phone()
    gone = Item.objects.create(artist=table.artist, name="Tote bag")
    gone_pk = gone.pk
    gone.delete()
    count = phone.event("in", show=table.show.pk, counts={str(table.cd.pk): 5, str(gone_pk): 3})
    answers = [send(client, table, events=[count]) for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["events"][0]["status"] == "flagged"
    assert answers[0]["events"][0]["flags"] == ["item_deleted"]
    kept = ShowEvent.objects.get()
    assert kept.counts == {str(table.cd.pk): 5, str(gone_pk): 3}
    assert not counted_rows(table).exists()
    assert not ShowCount.objects.exists()


def test_a_count_after_the_show_is_closed_is_kept_flagged():
    table = table_build()
    services.show_close(show=table.show, cash_counted=0)
    answer = send(
        seller_client(table.seller), table,
        events=[Phone().event("out", show=table.show.pk, counts={str(table.cd.pk): 1})],
    )["events"][0]  # fmt: skip
    assert (answer["status"], answer["flags"]) == ("flagged", ["show_closed"])
    assert balance(item=table.cd, place=table.bag) == 20


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "close"},
        {"id": "not-an-id"},
        {"device_time": "yesterday"},
        {"date": "soon"},
        {"venue": " "},
    ],
)
def test_a_bad_open_is_refused_and_writes_nothing(change):
    table = table_build()
    answer = send(seller_client(table.seller), table, events=[{**Phone().open(), **change}])[
        "events"
    ][0]
    assert answer["status"] == "refused" and answer["reason"]
    assert Show.objects.count() == 1 and not ShowEvent.objects.exists()


def test_a_count_of_another_bands_item_or_negative_is_refused():
    table, other = table_build(), table_build()
    client = seller_client(table.seller)
    phone = Phone()
    bad = [
        phone.event("in", show=table.show.pk, counts={str(other.cd.pk): 1}),
        phone.event("in", show=table.show.pk, counts={str(table.cd.pk): -1}),
        phone.event("in", show=other.show.pk, counts={str(table.cd.pk): 1}),
        phone.event("in", show=table.show.pk, counts=[1, 2]),
        phone.event("in", show=table.show.pk, counts={"²": 1}),
        phone.event("in", show=table.show.pk, counts={"0": 1}),
    ]
    answers = send(client, table, events=bad)["events"]
    assert [a["status"] for a in answers] == ["refused"] * 6
    assert not ShowEvent.objects.exists() and not counted_rows(other).exists()


def test_a_revoked_seller_sends_no_show():
    table = table_build()
    client = seller_client(table.seller)
    services.seller_revoke(seller=table.seller)
    response = client.post(
        f"/table/{table.artist.slug}/sync",
        data={"events": [Phone().open()], "sales": []},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"] == "revoked"
    assert Show.objects.count() == 1


def test_two_phones_opening_the_same_gig_make_two_shows():
    table = table_build()
    client = seller_client(table.seller)
    a, b = Phone(), Phone()
    send(client, table, events=[a.open()])
    send(client, table, events=[b.open()])
    assert Show.objects.filter(venue="La Cave").count() == 2


def test_the_catalogue_offers_the_last_count_out_for_the_next_count_in():
    table = table_build()
    services.show_count(show=table.show, stage="out", counts={table.cd: 12, table.shirt: 9})
    services.show_close(show=table.show, cash_counted=0)
    data = seller_client(table.seller).get(f"/table/{table.artist.slug}/catalogue.json").json()
    assert data["count_in"] == {str(table.cd.pk): 12, str(table.shirt.pk): 9}
    assert {i["name"] for i in data["items"]} == {"CD", "T-shirt M"}


def test_with_no_show_closed_yet_the_catalogue_offers_the_default_bags_balance():
    table = table_build(cds=7, shirts=3)
    # A second bag, not the default, holding a CD: not the one offered.
    spare = Place.objects.create(artist=table.artist, kind=Place.Kind.BAG, name="Spare")
    movement_record(
        item=table.cd, quantity=1, reason=Reason.MOVED, from_place=table.bag, to_place=spare
    )
    data = seller_client(table.seller).get(f"/table/{table.artist.slug}/catalogue.json").json()
    assert data["count_in"] == {str(table.cd.pk): 6, str(table.shirt.pk): 3}


def test_the_band_sees_a_flagged_count_on_the_table_page():
    table = table_build()
    services.show_close(show=table.show, cash_counted=0)
    send(
        seller_client(table.seller), table,
        events=[Phone().event("out", show=table.show.pk, counts={str(table.cd.pk): 4})],
    )  # fmt: skip
    client = Client()
    client.force_login(MembershipFactory(artist=table.artist).user)
    page = client.get(f"/table/{table.artist.slug}/manage/").content.decode()
    assert "flagged-counts" in page and "show_closed" in page and f"#{table.cd.pk}: 4" in page
