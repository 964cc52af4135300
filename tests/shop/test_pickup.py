"""Local pick-up and cash on collection, from the fan's side: the checkout's choice, the
exact total without postage, cash only with pick-up, the long hold and its expiry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from disquaire.orders.models import Delivery, Order, OrderState, Payment, PaymentState
from disquaire.orders.selectors import units_left
from disquaire.orders.services import reservations_expire
from disquaire.selling.models import Offer
from disquaire.shop.cart import CartError
from disquaire.shop.checkout import checkout_quote, checkout_start
from disquaire.shop.selectors import CartGroup, CartLine
from tests.shop.factories import (
    OfferFactory,
    PaymentSettingsFactory,
    ShippingZoneFactory,
    ShopSettingsFactory,
)
from tests.shop.helpers import fake_request

pytestmark = pytest.mark.django_db

PLACE = "Rehearsal studio, 12 rue X, Nantes — Thursdays 18–20h, or at our next gig"
ADDRESS = {"address": "1 rue du Port", "postcode": "44000", "city": "Nantes", "country": "FR"}


def _cd(
    client: Client | None = None, *, pickup: bool = True, cash: bool = True, **kw: Any
) -> Offer:
    """A €12.00 CD (with its download), posted to France for €3.50, or picked up."""
    offer = OfferFactory(kind=Offer.Kind.BUNDLE, price_minor=1200, **kw)
    PaymentSettingsFactory(artist=offer.artist, cash_enabled=cash)
    ShopSettingsFactory(artist=offer.artist, pickup_enabled=pickup, pickup_place=PLACE)
    ShippingZoneFactory(artist=offer.artist, countries=["FR"], first_item_minor=350)
    if client is not None:
        client.post("/cart/add/", {"offer": offer.pk})
    return offer


def _post(client: Client, offer: Offer, data: dict[str, Any], *, shown: int | None) -> Any:
    url = f"/checkout/{offer.artist.slug}/"
    return client.post(url, {"email": "fan@example.org", **data, "total_shown": shown or ""})


def test_the_checkout_offers_shipping_or_pick_up_and_cash_only_with_pick_up(
    client: Client,
) -> None:
    offer = _cd(client)
    page = client.get(f"/checkout/{offer.artist.slug}/").content.decode()
    assert 'name="delivery" value="ship"' in page and 'name="delivery" value="pickup"' in page
    assert "Ship to me" in page and "Pick up from the band" in page and "Thursdays 18–20h" in page
    assert 'value="cash"' in page and "Only with pick-up." in page
    assert "data-ship-field" in page  # the script hides the address for a pick-up


def test_without_pick_up_neither_the_choice_nor_cash_is_offered(client: Client) -> None:
    offer = _cd(client, pickup=False)
    page = client.get(f"/checkout/{offer.artist.slug}/").content.decode()
    assert 'name="delivery"' not in page and 'value="cash"' not in page


def test_the_pick_up_quote_has_no_postage_and_the_button_shows_the_exact_amount(
    client: Client,
) -> None:
    offer = _cd(client)
    url = f"/checkout/{offer.artist.slug}/quote.json"
    shipped = client.get(url, {"country": "FR", "delivery": "ship"}).json()
    assert (shipped["shipping_minor"], shipped["total_minor"]) == (350, 1550)
    picked = client.get(url, {"country": "FR", "delivery": "pickup"}).json()
    assert (picked["shipping_minor"], picked["total_minor"]) == (0, 1200)
    assert picked["delivery"] == "pickup" and picked["pay"] == "Pay €12.00"
    assert picked["pay_on_collection"] == "Order — pay €12.00 on collection"


def test_with_cash_on_collection_the_button_orders_and_says_what_is_paid_then(
    client: Client,
) -> None:
    offer = _cd(client)
    url = f"/checkout/{offer.artist.slug}/"
    # The name is missing: the form comes back, with the way to pay the fan chose.
    cash = client.post(url, {"email": "fan@example.org", "delivery": "pickup",
                             "provider": "cash", "total_shown": 1200}).content.decode()  # fmt: skip
    assert ">Order — pay €12.00 on collection</button>" in cash and ">Pay €12.00<" not in cash
    assert 'data-pay-now="Pay €12.00"' in cash
    card = client.post(url, {"email": "fan@example.org", "delivery": "pickup",
                             "provider": "test", "total_shown": 1200}).content.decode()  # fmt: skip
    assert ">Pay €12.00</button>" in card
    assert 'data-pay-on-collection="Order — pay €12.00 on collection"' in card
    with translation.override("fr"):
        french = client.post(url, {"email": "fan@example.org", "delivery": "pickup",
                                   "provider": "cash", "total_shown": 1200},
                             HTTP_ACCEPT_LANGUAGE="fr").content.decode()  # fmt: skip
    assert "Commander — payer 12,00" in french and "au retrait</button>" in french


def test_a_pick_up_asked_of_a_shop_without_it_is_quoted_and_refused_as_shipping() -> None:
    offer = _cd(pickup=False)
    group = CartGroup(artist=offer.artist)
    group.lines.append(CartLine(index=0, offer=offer, option=None, quantity=1,
                                unit_price_minor=1200))  # fmt: skip
    assert checkout_quote(group=group, country="FR", delivery="pickup").total_minor == 1550
    with pytest.raises(CartError):
        checkout_start(group=group, email="f@example.org", provider_id="test",
                       request=fake_request(), total_shown=1200, delivery="pickup")  # fmt: skip
    assert not Order.objects.exists()


def test_cash_is_refused_for_a_shipped_order_even_if_the_form_is_forged(client: Client) -> None:
    offer = _cd(client)
    data = {"delivery": "ship", "provider": "cash", "name": "A Fan", **ADDRESS}
    response = _post(client, offer, data, shown=1550)
    assert response.status_code == 400
    assert "only for orders you pick up" in response.content.decode()
    assert not Order.objects.exists()


def test_cash_is_refused_when_the_band_does_not_take_it(client: Client) -> None:
    offer = _cd(client, cash=False)
    response = _post(client, offer, {"delivery": "pickup", "provider": "cash", "name": "A Fan"},
                     shown=1200)  # fmt: skip
    assert response.status_code == 200  # the form again: not a way to pay offered here
    assert not Order.objects.exists()


def test_a_pick_up_needs_a_name_but_no_postal_address(client: Client) -> None:
    offer = _cd(client)
    nameless = _post(client, offer, {"delivery": "pickup", "provider": "cash"}, shown=1200)
    assert nameless.status_code == 200 and not Order.objects.exists()
    shipped = _post(client, offer, {"delivery": "ship", "provider": "test", "name": "A Fan"},
                    shown=1550)  # fmt: skip
    assert shipped.status_code == 200 and not Order.objects.exists()  # address missing


def test_a_pick_up_total_with_postage_is_refused_as_changed(client: Client) -> None:
    offer = _cd(client)
    response = _post(client, offer, {"delivery": "pickup", "provider": "cash", "name": "A Fan"},
                     shown=1550)  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 409 and ">Order — pay €12.00 on collection</button>" in page
    assert not Order.objects.exists()


def test_cash_order_waits_for_the_fan_with_its_units_held_for_days(
    client: Client, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DISQUAIRE_PICKUP_HOLD_DAYS = 14
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    offer = _cd(client, stock=3)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            client,
            offer,
            {"delivery": "pickup", "provider": "cash", "name": "A Fan", **ADDRESS},
            shown=1200,
        )
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"].startswith("/orders/")
    assert (order.state, order.delivery, order.shipping_minor, order.total_minor) == (
        OrderState.PENDING, Delivery.PICKUP, 0, 1200,
    )  # fmt: skip
    assert (order.ship_name, order.ship_address, order.ship_country) == ("A Fan", "", "")
    assert order.pickup_place == PLACE
    payment = Payment.objects.get()
    assert (payment.provider, payment.state) == ("cash", PaymentState.PENDING)
    assert units_left(offer=offer) == 2
    assert order.expires_at is not None
    assert order.expires_at > timezone.now() + dt.timedelta(days=13)
    # The fan is told where, when and how much, before paying anything.
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert PLACE in body and "€12.00 in cash" in body and order.code in body
    page = client.get(response["Location"]).content.decode()
    assert "collect it and pay in cash" in page and "Thursdays 18–20h" in page


def test_the_pick_up_mail_goes_from_a_task_not_from_the_request(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    from disquaire.orders.tasks import order_pickup_task

    offer = _cd(client)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, offer, {"delivery": "pickup", "provider": "cash",
                                         "name": "A Fan"}, shown=1200)  # fmt: skip
    order = Order.objects.get()
    assert response.status_code == 302 and mail.outbox == []  # the request sent nothing
    (queued,) = DBTaskResult.objects.filter(task_path__endswith=".order_pickup_task")
    assert queued.args_kwargs["kwargs"] == {"order_id": order.pk}
    order_pickup_task.call(order_id=order.pk)  # as the worker runs it
    (message,) = mail.outbox
    assert message.to == ["fan@example.org"] and order.code in message.subject
    assert PLACE in message.body and "€12.00 in cash" in message.body


def test_an_order_no_longer_waiting_when_its_task_runs_is_not_told_to_come_and_pay(
    client: Client,
) -> None:
    from disquaire.orders.services import order_cancel
    from disquaire.orders.tasks import order_pickup_task

    offer = _cd(client)
    _post(client, offer, {"delivery": "pickup", "provider": "cash", "name": "A Fan"}, shown=1200)
    order = Order.objects.get()
    order_cancel(order=order, actor="buyer", reason="changed my mind")
    mail.outbox.clear()
    order_pickup_task.call(order_id=order.pk)
    assert mail.outbox == []


def test_an_uncollected_cash_order_expires_and_its_units_go_back_on_sale(
    client: Client, settings: Any
) -> None:
    settings.DISQUAIRE_PICKUP_HOLD_DAYS = 14
    offer = _cd(client, stock=1)
    _post(client, offer, {"delivery": "pickup", "provider": "cash", "name": "A Fan"}, shown=1200)
    assert units_left(offer=offer) == 0
    assert reservations_expire(now=timezone.now() + dt.timedelta(days=1)) == 0
    assert reservations_expire(now=timezone.now() + dt.timedelta(days=15)) == 1
    assert Order.objects.get().state == OrderState.EXPIRED
    assert units_left(offer=offer) == 1


def test_a_pick_up_paid_online_gets_a_receipt_saying_where_to_collect(client: Client) -> None:
    from disquaire.orders.services import order_receipt_send_once, payment_confirm

    offer = _cd(client)
    _post(client, offer, {"delivery": "pickup", "provider": "test", "name": "A Fan"}, shown=1200)
    order = Order.objects.get()
    assert order.is_pickup and order.is_test
    mail.outbox.clear()
    payment_confirm(payment=Payment.objects.get())
    assert order_receipt_send_once(order_id=order.pk)
    receipts = [m for m in mail.outbox if m.to == ["fan@example.org"]]
    assert len(receipts) == 1
    assert "prepares your order for pick-up" in receipts[0].body and PLACE in receipts[0].body
    assert "posts it to" not in receipts[0].body


def test_the_pick_up_mail_is_sent_once_even_if_its_task_runs_twice(client: Client) -> None:
    from disquaire.orders.tasks import order_pickup_task

    offer = _cd(client)
    _post(client, offer, {"delivery": "pickup", "provider": "cash", "name": "A Fan"}, shown=1200)
    order = Order.objects.get()
    mail.outbox.clear()
    order_pickup_task.call(order_id=order.pk)
    order_pickup_task.call(order_id=order.pk)
    assert [m.to for m in mail.outbox] == [["fan@example.org"]]
    order.refresh_from_db()
    assert order.pickup_mail_sent_at is not None


def test_a_pick_up_mail_the_server_refused_is_tried_again_later_and_then_given_up(
    client: Client, monkeypatch: Any
) -> None:
    from disquaire.orders import emails
    from disquaire.orders.services import pickups_retry
    from disquaire.orders.tasks import order_pickup_task

    offer = _cd(client)
    _post(client, offer, {"delivery": "pickup", "provider": "cash", "name": "A Fan"}, shown=1200)
    order = Order.objects.get()
    real = emails.order_pickup_send

    def refused(*, order: Order) -> None:
        raise OSError("mail server down")

    monkeypatch.setattr(emails, "order_pickup_send", refused)
    mail.outbox.clear()
    order_pickup_task.call(order_id=order.pk)
    order.refresh_from_db()
    assert (order.pickup_mail_sent_at, order.pickup_mail_attempts) == (None, 1)
    created = order.created_at
    # Not due before 10 minutes after the order (5, then twice as long after a failure).
    assert pickups_retry(now=created + dt.timedelta(minutes=9)) == 0
    monkeypatch.setattr(emails, "order_pickup_send", real)
    assert pickups_retry(now=created + dt.timedelta(minutes=11)) == 1
    assert [m.to for m in mail.outbox] == [["fan@example.org"]]
    assert pickups_retry(now=created + dt.timedelta(hours=5)) == 0  # sent: never again

    # An address the server keeps refusing: five attempts in all, then left to the band.
    Order.objects.filter(pk=order.pk).update(pickup_mail_sent_at=None, pickup_mail_attempts=0)
    monkeypatch.setattr(emails, "order_pickup_send", refused)
    for minutes in (5, 10, 20, 40, 80, 160, 320):
        pickups_retry(now=created + dt.timedelta(minutes=minutes + 1))
    order.refresh_from_db()
    assert (order.pickup_mail_sent_at, order.pickup_mail_attempts) == (None, 5)


def test_the_retry_leaves_orders_paid_online_and_those_no_longer_waiting(client: Client) -> None:
    from disquaire.orders.services import order_cancel, pickups_retry

    offer = _cd(client)
    _post(client, offer, {"delivery": "pickup", "provider": "test", "name": "A Fan"}, shown=1200)
    client.post("/cart/add/", {"offer": offer.pk})
    _post(client, offer, {"delivery": "pickup", "provider": "cash", "name": "A Fan"}, shown=1200)
    assert Order.objects.count() == 2
    cash = Order.objects.filter(payments__provider="cash").get()
    order_cancel(order=cash, actor="buyer", reason="changed my mind")
    mail.outbox.clear()
    later = timezone.now() + dt.timedelta(hours=1)
    assert pickups_retry(now=later) == 0
    assert mail.outbox == []
