"""Store credit spent at checkout: alone (no provider) or with a card for the rest, the
Pay button and total_shown showing the credit, and a refund giving the credit back."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from disquaire.fans.referrals import services
from disquaire.fans.referrals.models import CreditEntry, Referral
from disquaire.fans.referrals.selectors import credit_available, fan_credits
from disquaire.orders.models import Order, OrderState, Payment, PaymentState
from disquaire.orders.services import payment_confirm, payment_refund
from disquaire.selling.models import Offer
from tests.fans.referral_helpers import (
    REFERRER,
    band_offer,
    fan_client,
    referred_sale,
    rewards_on,
)
from tests.shop.factories import OfferFactory, PaymentSettingsFactory
from tests.shop.helpers import checkout_post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Any:
    cache.clear()
    yield
    cache.clear()


def _fan_with_credit(credit: int) -> tuple[Offer, Client]:
    """The promoter, signed in, with ``credit`` available at the band (their friends
    bought through their link), and a second offer of the band in their cart."""
    offer = band_offer(credit * 10)
    rewards_on(offer.artist, hold_days=0)
    PaymentSettingsFactory(artist=offer.artist)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    referred_sale(offer, link=link)
    assert credit_available(artist=offer.artist, email=REFERRER) == credit
    client = fan_client(REFERRER)
    return offer, client


def _in_cart(client: Client, offer: Offer, price: int) -> Offer:
    item = OfferFactory(price_minor=price, release=offer.release, artist=offer.artist)
    assert client.post("/cart/add/", {"offer": item.pk}).status_code == 302
    return item


def test_an_order_paid_in_full_by_credit_completes_without_a_provider() -> None:
    offer, client = _fan_with_credit(1000)
    _in_cart(client, offer, 800)
    page = client.get(f"/checkout/{offer.artist.slug}/").content.decode()
    assert "Use my store credit (€10.00 available)" in page
    assert "−€8.00" in page and ">Pay with my store credit</button>" in page
    assert 'name="total_shown" value="0"' in page
    response = client.post(
        f"/checkout/{offer.artist.slug}/",
        {"email": REFERRER, "use_credit": "1", "total_shown": "0"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.exclude(credit_minor=0).get()
    assert (order.state, order.credit_minor, order.total_minor) == (OrderState.PAID, 800, 0)
    assert order.items_minor == 800
    assert set(order.payments.values_list("provider", "amount_minor")) == {("free", 0)}
    assert credit_available(artist=offer.artist, email=REFERRER) == 200
    spent = CreditEntry.objects.get(kind=CreditEntry.Kind.SPENT)
    assert (spent.amount_minor, spent.order_id) == (800, order.pk)


def test_credit_and_a_card_for_the_rest_in_exact_minor_units() -> None:
    offer, client = _fan_with_credit(333)
    _in_cart(client, offer, 1999)
    url = f"/checkout/{offer.artist.slug}/"
    page = client.get(url).content.decode()
    assert ">Pay €16.66</button>" in page and 'name="total_shown" value="1666"' in page
    quote = client.get(url + "quote.json").json()
    assert (quote["total_minor"], quote["credit_minor"], quote["credit"]) == (1666, 333, "−€3.33")
    response = checkout_post(
        client, offer.artist, {"email": REFERRER, "provider": "test", "use_credit": "1"}
    )
    assert response.status_code == 302
    order = Order.objects.exclude(credit_minor=0).get()
    payment = order.payments.get()
    assert (order.items_minor, order.credit_minor, order.total_minor) == (1999, 333, 1666)
    assert (payment.amount_minor, payment.currency) == (1666, "EUR")
    assert credit_available(artist=offer.artist, email=REFERRER) == 0


def test_a_refund_of_an_order_paid_partly_by_credit_refunds_the_card_part_and_gives_the_credit_back() -> (  # noqa: E501
    None
):
    offer, client = _fan_with_credit(500)
    _in_cart(client, offer, 1200)
    checkout_post(client, offer.artist, {"email": REFERRER, "provider": "test", "use_credit": "1"})
    order = Order.objects.exclude(credit_minor=0).get()
    payment = payment_confirm(payment=order.payments.get())
    assert credit_available(artist=offer.artist, email=REFERRER) == 0
    refund = payment_refund(payment=payment, reason="changed mind", actor="owner")
    assert refund.amount_minor == 700  # the card part only: credit never becomes cash
    order.refresh_from_db()
    assert order.state == OrderState.REFUNDED
    assert Payment.objects.get(pk=payment.pk).state == PaymentState.REFUNDED
    assert credit_available(artist=offer.artist, email=REFERRER) == 500
    ledger = fan_credits(email=REFERRER)[0]
    assert "returned" in [line.status for line in ledger.lines]


def test_a_total_shown_without_the_credit_is_refused_before_anything_is_written() -> None:
    offer, client = _fan_with_credit(300)
    _in_cart(client, offer, 1000)
    before = Order.objects.count()
    response = checkout_post(
        client, offer.artist, {"email": REFERRER, "provider": "test", "use_credit": "1"}, shown=1000
    )
    assert response.status_code == 409
    assert Order.objects.count() == before
    assert ">Pay €7.00</button>" in response.content.decode()


def test_a_fan_may_keep_their_credit_and_pay_it_all_by_card() -> None:
    offer, client = _fan_with_credit(300)
    _in_cart(client, offer, 1000)
    url = f"/checkout/{offer.artist.slug}/"
    assert client.get(url + "quote.json", {"credit": "0"}).json()["total_minor"] == 1000
    response = client.post(url, {"email": REFERRER, "provider": "test", "total_shown": "1000"})
    assert response.status_code == 302
    order = Order.objects.filter(email=REFERRER).latest("pk")
    assert (order.credit_minor, order.total_minor) == (0, 1000)
    assert credit_available(artist=offer.artist, email=REFERRER) == 300


def test_credit_already_spent_in_another_tab_shows_the_new_total() -> None:
    offer, client = _fan_with_credit(300)
    _in_cart(client, offer, 1000)
    shown = client.get(f"/checkout/{offer.artist.slug}/quote.json").json()["total_minor"]
    assert shown == 700
    services.credit_void(
        referral=Referral.objects.get(), reason="spent elsewhere", actor="owner@example.org"
    )
    response = checkout_post(
        client, offer.artist, {"email": REFERRER, "provider": "test", "use_credit": "1"}, shown=700
    )
    assert response.status_code == 409
    assert ">Pay €10.00</button>" in response.content.decode()


def test_a_visitor_who_is_not_signed_in_has_no_credit_to_spend() -> None:
    offer, _fan = _fan_with_credit(300)
    client = Client()
    _in_cart(client, offer, 1000)
    page = client.get(f"/checkout/{offer.artist.slug}/").content.decode()
    assert "store credit" not in page.lower()
    response = checkout_post(
        client, offer.artist, {"email": REFERRER, "provider": "test", "use_credit": "1"}
    )
    assert response.status_code == 302
    assert Order.objects.filter(email=REFERRER).latest("pk").credit_minor == 0


def test_a_purchase_after_a_share_link_visit_is_referred_at_checkout() -> None:
    offer = band_offer(1000)
    PaymentSettingsFactory(artist=offer.artist)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    client = Client()
    client.get(f"/fans/r/{link.code}/")
    client.post("/cart/add/", {"offer": offer.pk})
    response = checkout_post(client, offer.artist, {"email": "new@example.org", "provider": "test"})
    assert response.status_code == 302
    order = Order.objects.get(email="new@example.org")
    referral = Referral.objects.get(order=order)
    assert referral.state == Referral.State.OPEN and referral.buyer_device
    payment_confirm(payment=order.payments.get())
    referral.refresh_from_db()
    assert referral.state == Referral.State.COUNTED


def test_the_referrer_checking_out_from_the_browser_they_shared_from_is_refused() -> None:
    offer = band_offer(1000)
    PaymentSettingsFactory(artist=offer.artist)
    link = services.share_link_for(email=REFERRER, release=offer.release)
    client = Client()
    # The referrer bought here once (the checkout remembers the browser with the address).
    client.post("/cart/add/", {"offer": offer.pk})
    checkout_post(client, offer.artist, {"email": REFERRER, "provider": "test"})
    # Then opens their own link signed out, and buys "for a friend" under another address.
    client.get(f"/fans/r/{link.code}/")
    client.post("/cart/add/", {"offer": offer.pk})
    checkout_post(client, offer.artist, {"email": "alias@example.org", "provider": "test"})
    order = Order.objects.get(email="alias@example.org")
    assert Referral.objects.get(order=order).refusal == "self:device"


def test_the_band_refunds_an_order_paid_wholly_by_credit_and_the_credit_comes_back() -> None:
    offer, client = _fan_with_credit(1000)
    _in_cart(client, offer, 800)
    client.post(
        f"/checkout/{offer.artist.slug}/",
        {"email": REFERRER, "use_credit": "1", "total_shown": "0"},
    )
    order = Order.objects.exclude(credit_minor=0).get()
    assert credit_available(artist=offer.artist, email=REFERRER) == 200
    refund = payment_refund(payment=order.payments.get(), reason="wrong size", actor="owner")
    assert refund.amount_minor == 0
    order.refresh_from_db()
    assert order.state == OrderState.REFUNDED
    assert credit_available(artist=offer.artist, email=REFERRER) == 1000


def test_a_late_payment_after_the_credit_was_spent_again_flags_the_order() -> None:
    from django.utils import timezone

    from disquaire.orders.services import reservations_expire

    offer, client = _fan_with_credit(500)
    _in_cart(client, offer, 1000)
    checkout_post(client, offer.artist, {"email": REFERRER, "provider": "test", "use_credit": "1"})
    first = Order.objects.exclude(credit_minor=0).get()
    # Its hold runs out: the order expires and the credit comes back...
    Order.objects.filter(pk=first.pk).update(expires_at=timezone.now())
    reservations_expire()
    assert credit_available(artist=offer.artist, email=REFERRER) == 500
    # ...and is spent on a new order; then the first one's payment arrives after all.
    _in_cart(client, offer, 1000)
    checkout_post(client, offer.artist, {"email": REFERRER, "provider": "test", "use_credit": "1"})
    payment_confirm(payment=first.payments.get())
    first.refresh_from_db()
    assert first.state == OrderState.PAID
    assert first.needs_attention and "store credit" in first.attention_note


def test_the_bands_test_orders_are_deleted_with_their_referrals_and_credit() -> None:
    from disquaire.backstage.services.orders import test_orders_delete

    offer, client = _fan_with_credit(500)
    _in_cart(client, offer, 1000)
    checkout_post(client, offer.artist, {"email": REFERRER, "provider": "test", "use_credit": "1"})
    assert CreditEntry.objects.filter(kind=CreditEntry.Kind.SPENT).exists()
    assert test_orders_delete(artist=offer.artist, actor="owner") == 2
    assert not Referral.objects.exists() and not CreditEntry.objects.exists()
