"""Sales sent from phones: recorded once whatever the number of sendings, flagged when
the server cannot take them as is, refused when no honest phone could have sent them."""

from __future__ import annotations

import random

import pytest

from disquaire.stock.models import Movement, Reason
from disquaire.stock.selectors import balance
from disquaire.table import services
from disquaire.table.models import Sale
from tests.factories import ArtistFactory
from tests.table.helpers import Device, seller_client, sync, table_build

pytestmark = pytest.mark.django_db


def sold_rows(table):
    return Movement.objects.filter(reason=Reason.SOLD_TABLE, item__artist=table.artist)


def test_same_batch_sent_three_times_is_recorded_once():
    table = table_build()
    client = seller_client(table.seller)
    phone = Device()
    batch = [
        phone.sale(table),
        phone.sale(table, [(table.deal, 1)]),
        phone.sale(table, [(table.shirt_product, 2)]),
    ]
    answers = [sync(client, table, batch).json() for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    assert [r["status"] for r in answers[0]["results"]] == ["accepted"] * 3
    assert Sale.objects.count() == 3
    assert sold_rows(table).count() == 3
    assert balance(item=table.cd, place=table.bag) == 20 - 1 - 2
    assert balance(item=table.shirt, place=table.bag) == 10 - 2


def test_two_phones_offline_batches_interleaved_lose_nothing_and_repeat_nothing():
    table = table_build(cds=200, shirts=200)
    client = seller_client(table.seller)
    phones = [Device(), Device()]
    queues = {p.id: [p.sale(table, [(table.cd_product, 1)]) for _ in range(30)] for p in phones}
    sent = []
    rng = random.Random(7)  # noqa: S311 (a fixed order of sendings, not a secret)
    for phone in phones * 3:
        queue = queues[phone.id]
        start = rng.randrange(len(queue))
        chunk = queue[start : start + 10]  # partial, overlapping sendings
        sent.append(chunk)
        sync(client, table, chunk)
    for phone in phones:  # then each phone sends all it holds
        results = sync(client, table, queues[phone.id]).json()["results"]
        assert {r["status"] for r in results} == {"accepted"}
    ids = {s["id"] for q in queues.values() for s in q}
    assert set(Sale.objects.values_list("id", flat=True).__iter__()) == {
        __import__("uuid").UUID(i) for i in ids
    }
    assert sold_rows(table).count() == 60
    assert balance(item=table.cd, place=table.bag) == 200 - 60


def test_sale_from_a_deleted_product_is_recorded_and_flagged():
    table = table_build()
    phone = Device()
    sale = phone.sale(table, [(table.shirt_product, 1)])
    services.product_remove(product=table.shirt_product)
    ghost = phone.sale(table, [(table.cd_product, 1)])
    ghost["lines"][0]["product"] = 999_999
    results = sync(seller_client(table.seller), table, [sale, ghost]).json()["results"]
    assert [r["status"] for r in results] == ["flagged", "flagged"]
    assert results[0]["flags"] == ["product_removed"]
    assert results[1]["flags"] == ["product_deleted"]
    assert Sale.objects.filter(status=Sale.Status.FLAGGED).count() == 2
    assert not sold_rows(table).exists()


def test_more_units_than_the_bag_holds_is_flagged_and_writes_no_ledger_row():
    table = table_build(cds=1)
    results = sync(
        seller_client(table.seller), table, [Device().sale(table, [(table.deal, 1)])]
    ).json()
    assert results["results"][0]["status"] == "flagged"
    assert results["results"][0]["flags"] == ["stock"]
    assert not sold_rows(table).exists()
    assert balance(item=table.cd, place=table.bag) == 1


def test_price_not_the_tables_is_flagged():
    table = table_build()
    sale = Device().sale(table)
    sale["lines"][0]["unit_price"] = 1000
    sale["total"] = 1000
    result = sync(seller_client(table.seller), table, [sale]).json()["results"][0]
    assert result["flags"] == ["price"]
    assert Sale.objects.get().total == 1000


def test_sale_after_the_show_closed_is_flagged():
    table = table_build()
    services.show_close(show=table.show, cash_counted=0)
    result = sync(seller_client(table.seller), table, [Device().sale(table)]).json()["results"][0]
    assert result["flags"] == ["show_closed"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"lines": [{"product": 0, "quantity": 1, "unit_price": 1500}]}, "product"),
        ("negative", "quantity"),
        ("zero", "quantity"),
        ({"payment": "bitcoin"}, "payment"),
        ({"id": "not-an-id"}, "id"),
        ({"id": "0b1e6a4e-3d5c-4c8a-9a2f-1d2c3b4a5f60"}, "UUIDv7"),
        ({"device_time": "yesterday"}, "device time"),
        ({"lines": []}, "lines"),
    ],
)
def test_tampered_sale_is_refused_with_a_reason_and_not_recorded(change, words):
    table = table_build()
    sale = Device().sale(table)
    if change == "negative":
        sale["lines"][0]["quantity"] = -3
    elif change == "zero":
        sale["lines"][0]["quantity"] = 0
    else:
        sale.update(change)
    result = sync(seller_client(table.seller), table, [sale]).json()["results"][0]
    assert result["status"] == "refused"
    assert words in result["reason"]
    assert not Sale.objects.exists()


def test_another_artists_item_or_show_is_refused():
    table = table_build()
    other = table_build(artist=ArtistFactory())
    phone = Device()
    theirs = phone.sale(table, [(other.cd_product, 1)])
    their_show = phone.sale(table, show=other.show.pk)
    results = sync(seller_client(table.seller), table, [theirs, their_show]).json()["results"]
    assert [r["status"] for r in results] == ["refused", "refused"]
    assert "not the band's" in results[0]["reason"]
    assert not Sale.objects.exists()
    assert balance(item=other.cd, place=other.bag) == 20


def test_revoked_seller_is_refused_and_nothing_recorded():
    table = table_build()
    client = seller_client(table.seller)
    services.seller_revoke(seller=table.seller)
    response = sync(client, table, [Device().sale(table)])
    assert response.status_code == 403
    assert response.json()["error"] == "revoked"
    assert not Sale.objects.exists()
    assert client.get(f"/table/{table.artist.slug}/").status_code == 403


def test_seller_of_another_band_cannot_sync_here():
    table = table_build()
    other = table_build(artist=ArtistFactory())
    response = sync(seller_client(other.seller), table, [Device().sale(table)])
    assert response.status_code == 403
    assert response.json()["error"] == "signin"


def test_sync_keeps_device_and_server_time_and_the_sequence():
    table = table_build()
    phone = Device()
    sale = phone.sale(table, device_time="2026-12-04T23:41:07.123Z")
    sync(seller_client(table.seller), table, [sale])
    stored = Sale.objects.get()
    assert stored.device_time.isoformat().startswith("2026-12-04T23:41:07.123")
    assert stored.received_at is not None
    assert (stored.device_id, stored.device_seq) == (phone.id, 1)


def test_free_sale_takes_stock_but_no_money():
    table = table_build()
    result = sync(seller_client(table.seller), table, [Device().sale(table, payment="free")]).json()
    assert result["results"][0]["status"] == "accepted"
    assert Sale.objects.get().total == 0
    assert balance(item=table.cd, place=table.bag) == 19


def test_malformed_batch_is_a_400():
    table = table_build()
    client = seller_client(table.seller)
    response = client.post(
        f"/table/{table.artist.slug}/sync", data="nope", content_type="application/json"
    )
    assert response.status_code == 400
