"""Pay on your phone: a table sale paid through the shop's providers on the fan's own
phone. Pending until the provider confirms, then sold from the show's bag once (the
order as the ledger's reference); cancelled, with nothing sold, when the order lapses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from disquaire.orders.models import Order, OrderState, Payment
from disquaire.orders.services import payment_confirm, reservations_expire
from disquaire.stock.models import Balance, Movement, Reason
from disquaire.table import selectors
from disquaire.table.models import Sale
from tests.factories import MembershipFactory
from tests.shop.factories import PaymentSettingsFactory
from tests.table.helpers import Device, Table, seller_client, sync, table_build

pytestmark = pytest.mark.django_db


def _ready() -> Table:
    table = table_build()
    PaymentSettingsFactory(artist=table.artist, test_mode=True)
    return table


def _checkout(client: Client, table: Table, sale: dict) -> object:
    return client.post(
        f"/table/{table.artist.slug}/checkout", data={"sale": sale}, content_type="application/json"
    )


def _bag(table: Table, item: object) -> int:
    return Balance.objects.get(item=item, place=table.bag).quantity


def _lapsed_sale() -> Sale:
    """A phone sale checked out whose order then lapsed (reservations expired)."""
    table = _ready()
    sale = Device().sale(table, payment="phone")
    _checkout(seller_client(table.seller), table, sale)
    reservations_expire(now=timezone.now() + timedelta(days=1))
    return Sale.objects.get(pk=sale["id"])


def test_checkout_makes_a_pending_sale_and_an_order_and_takes_nothing_yet():
    table = _ready()
    client = seller_client(table.seller)
    sale = Device().sale(table, [(table.cd_product, 2)], payment="phone")
    response = _checkout(client, table, sale)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body == {"id": sale["id"], "status": "pending", "pay": f"/table/pay/{sale['id']}/"}
    recorded = Sale.objects.get(pk=sale["id"])
    assert recorded.status == Sale.Status.PENDING
    order = recorded.order
    assert order.state == OrderState.PENDING and order.total_minor == 3000
    assert not order.lines.exists()
    # Nothing leaves the bag (nor the web shop's place) before the money is there.
    assert _bag(table, table.cd) == 20
    assert not Movement.objects.filter(reason=Reason.SOLD_TABLE).exists()
    # The QR code's link sends the fan's phone to the provider's page.
    page = Client().get(body["pay"])
    assert page.status_code == 302 and "/payments/test/" in page["Location"]


def test_a_replayed_checkout_gives_the_same_checkout_once():
    table = _ready()
    client = seller_client(table.seller)
    sale = Device().sale(table, payment="phone")
    answers = [_checkout(client, table, sale).json() for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    assert Sale.objects.filter(pk=sale["id"]).count() == 1
    assert Order.objects.filter(artist=table.artist).count() == 1
    # Sent by the sync too (a phone that kept it): the same answer, nothing new.
    result = sync(client, table, [sale]).json()["results"][0]
    assert result["status"] == "pending"
    assert Order.objects.filter(artist=table.artist).count() == 1


def test_confirmed_by_the_provider_it_is_sold_from_the_bag_once_with_the_order_as_reference(
    django_capture_on_commit_callbacks,
):
    table = _ready()
    client = seller_client(table.seller)
    sale = Device().sale(table, [(table.deal, 1)], payment="phone")
    _checkout(client, table, sale)
    recorded = Sale.objects.get(pk=sale["id"])
    payment = Payment.objects.get(order=recorded.order)
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirm(payment=payment, actor="test")
        payment_confirm(payment=payment, actor="test")  # a webhook delivered twice
    recorded.refresh_from_db()
    assert recorded.status == Sale.Status.ACCEPTED
    assert recorded.payment_received_at is not None
    rows = Movement.objects.filter(reason=Reason.SOLD_TABLE)
    assert [(r.item_id, r.quantity, r.from_place_id, r.reference_type, r.reference_id)
            for r in rows] == [
        (table.cd.pk, 2, table.bag.pk, "order", recorded.order.code)
    ]  # fmt: skip
    assert _bag(table, table.cd) == 18
    order = Order.objects.get(pk=recorded.order_id)
    assert order.state == OrderState.FULFILLED  # handed over at the table
    # The fan's phone comes back from the provider to the order's page: it shows.
    from disquaire.orders.selectors import order_page_path

    assert Client().get(order_page_path(order)).status_code == 200
    assert Client().get(f"/table/pay/{sale['id']}/").status_code == 200  # paid: no redirect
    status = client.get(f"/table/{table.artist.slug}/sales/{sale['id']}/status").json()
    assert status == {"id": sale["id"], "status": "accepted"}
    report = selectors.show_report(show=table.show)
    assert report.online == 2500 and report.gross == 2500 and report.cash == 0
    assert [(line.item.pk, line.sold) for line in report.lines] == [(table.cd.pk, 2)]
    owner = MembershipFactory(artist=table.artist).user
    band = Client()
    band.force_login(owner)
    base = f"/table/{table.artist.slug}/shows/{table.show.pk}"
    assert "Online (phone),€25.00" in band.get(f"{base}/report.csv").content.decode()
    assert "Online (phone)" in band.get(f"{base}/report/").content.decode()


def test_an_expired_order_cancels_the_sale_and_nothing_is_sold():
    recorded = _lapsed_sale()
    assert recorded.status == Sale.Status.CANCELLED
    assert recorded.order.state == OrderState.EXPIRED
    assert not Movement.objects.filter(reason=Reason.SOLD_TABLE).exists()
    report = selectors.show_report(show=recorded.show)
    assert report.online == 0 and report.sales == 0 and report.online_waiting == 0


def test_a_payment_after_the_sale_was_cancelled_is_flagged_not_sold():
    recorded = _lapsed_sale()
    payment_confirm(payment=Payment.objects.get(order=recorded.order), actor="test")
    recorded.refresh_from_db()
    assert recorded.status == Sale.Status.FLAGGED
    assert recorded.flags == ["paid_after_cancel"]
    assert not Movement.objects.filter(reason=Reason.SOLD_TABLE).exists()


def test_the_seller_cancels_a_waiting_payment_and_a_paid_one_cannot_be_cancelled():
    table = _ready()
    client = seller_client(table.seller)
    first, second = Device().sale(table, payment="phone"), Device().sale(table, payment="phone")
    _checkout(client, table, first)
    _checkout(client, table, second)
    base = f"/table/{table.artist.slug}/sales"
    answer = client.post(f"{base}/{first['id']}/cancel")
    assert answer.json()["status"] == "cancelled"
    assert Sale.objects.get(pk=first["id"]).order.state == OrderState.CANCELLED
    payment_confirm(payment=Payment.objects.get(order__table_sale=second["id"]), actor="test")
    refused = client.post(f"{base}/{second['id']}/cancel")
    assert refused.status_code == 409
    assert Sale.objects.get(pk=second["id"]).status == Sale.Status.ACCEPTED


def test_bad_checkouts_are_refused_and_write_nothing():
    table = _ready()
    client = seller_client(table.seller)
    device = Device()
    wrong_price = device.sale(table, payment="phone")
    wrong_price["lines"][0]["unit_price"] = 1
    wrong_price["total"] = 1
    too_many = device.sale(table, [(table.cd_product, 21)], payment="phone")
    cash = device.sale(table, payment="cash")
    negative = device.sale(table, payment="phone", total=-5)
    for bad in (wrong_price, too_many, cash, negative):
        response = _checkout(client, table, bad)
        assert response.status_code == 400, bad
        assert response.json()["message"]
    assert (
        client.post(
            f"/table/{table.artist.slug}/checkout", data=b"{", content_type="application/json"
        ).status_code
        == 400
    )
    assert not Sale.objects.exists() and not Order.objects.exists()


def test_units_waiting_for_a_phone_payment_are_not_offered_twice():
    table = _ready()
    client = seller_client(table.seller)
    device = Device()
    first = _checkout(client, table, device.sale(table, [(table.cd_product, 15)], payment="phone"))
    assert first.status_code == 200
    again = _checkout(client, table, device.sale(table, [(table.cd_product, 6)], payment="phone"))
    assert again.status_code == 400
    assert "5" in again.json()["message"]


def test_without_an_online_provider_the_phone_payment_is_refused_and_not_offered():
    table = table_build()
    client = seller_client(table.seller)
    response = _checkout(client, table, Device().sale(table, payment="phone"))
    assert response.status_code == 400
    assert client.get(f"/table/{table.artist.slug}/catalogue.json").json()["phone_pay"] is False


def test_a_phone_sale_cannot_be_sent_through_the_offline_sync():
    table = _ready()
    result = sync(seller_client(table.seller), table, [Device().sale(table, payment="phone")])
    assert result.json()["results"][0]["status"] == "refused"
    assert not Sale.objects.exists()


def test_another_bands_seller_sees_no_phone_sale():
    table = _ready()
    other = table_build()
    sale = Device().sale(table, payment="phone")
    _checkout(seller_client(table.seller), table, sale)
    stranger = seller_client(other.seller)
    assert stranger.get(f"/table/{other.artist.slug}/sales/{sale['id']}/status").status_code == 404
    owner = MembershipFactory(artist=table.artist).user
    band = Client()
    band.force_login(owner)
    assert band.get(f"/table/{table.artist.slug}/sales/{sale['id']}/status").status_code == 200


def test_a_cd_paid_on_the_phone_gives_its_buyer_the_album_once_paid(
    django_capture_on_commit_callbacks,
):
    from disquaire.table.fan_models import SaleBuyer, SaleCode
    from tests.factories import ReleaseFactory

    table = _ready()
    table.cd.release = ReleaseFactory(artist=table.artist)
    table.cd.save(update_fields=["release"])
    client = seller_client(table.seller)
    sale = Device().sale(table, payment="phone")
    sale["fan"] = {"email": " Buyer@Example.org ", "claim": "c" * 32}
    _checkout(client, table, sale)
    recorded = Sale.objects.get(pk=sale["id"])
    assert recorded.order.email == "buyer@example.org"
    assert not SaleCode.objects.exists()  # nothing given before the money is there
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirm(payment=Payment.objects.get(order=recorded.order), actor="test")
    buyer = SaleBuyer.objects.get(sale=recorded)
    assert buyer.email == "buyer@example.org" and buyer.claim_hash
    assert SaleCode.objects.get(sale=recorded).code.uses == 1


def test_units_held_by_pending_phone_sales_are_not_sold_twice():
    table = _ready()  # 20 CDs in the bag
    client = seller_client(table.seller)
    phone = Device()
    first = _checkout(client, table, phone.sale(table, [(table.cd_product, 15)], payment="phone"))
    assert first.status_code == 200, first.content
    second = _checkout(client, table, phone.sale(table, [(table.cd_product, 6)], payment="phone"))
    assert second.status_code == 400
    assert "only 5" in second.json()["message"]
    assert Sale.objects.filter(status=Sale.Status.PENDING).count() == 1
