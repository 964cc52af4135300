"""The whole flow over HTTP: buy box → cart → checkout → provider → order page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.template import RequestContext, Template
from django.test import Client, RequestFactory

from disquaire.orders.models import Order, OrderState, Payment, PaymentState
from disquaire.orders.selectors import order_page_path
from disquaire.payments.registry import providers_available
from disquaire.selling.models import Offer
from disquaire.shop.models import Subscriber
from tests.factories import ReleaseFactory
from tests.payments.fake_stripe import FakeStripe
from tests.shop.factories import (
    OfferFactory,
    PaymentSettingsFactory,
    ShippingZoneFactory,
    ShopSettingsFactory,
)
from tests.shop.helpers import checkout_post

pytestmark = pytest.mark.django_db


def add(client: Client, offer: Offer, **data: Any) -> Any:
    return client.post("/cart/add/", {"offer": offer.pk, **data})


def test_buy_box_lists_offers_in_order_with_price_field_and_stock() -> None:
    release = ReleaseFactory()
    OfferFactory(release=release, title="Vinyl", position=2, stock=250, numbered=True)
    OfferFactory(
        release=release,
        title="Digital",
        position=1,
        pricing=Offer.Pricing.PWYW,
        minimum_minor=700,
        suggested_minor=1000,
    )
    request = RequestFactory().get(release.get_absolute_url())
    html = Template('{% include "shop/includes/buybox.html" %}').render(
        RequestContext(request, {"release": release})
    )
    assert html.index("Digital") < html.index("Vinyl")
    assert 'class="buy-box"' in html and 'class="offer"' in html and "btn-primary" in html
    assert "<legend>Digital</legend>" in html
    assert 'name="amount"' in html and 'value="10.00"' in html and "Minimum €7.00" in html
    assert "250 left" in html and "Numbered edition of 250" in html
    # No per-visitor token: the box is part of cached public pages (cart_add_view).
    assert "csrfmiddlewaretoken" not in html


def test_test_provider_checkout_end_to_end(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    offer = OfferFactory(price_minor=1200, stock=5, numbered=True)
    PaymentSettingsFactory(artist=offer.artist)
    ShopSettingsFactory(artist=offer.artist, vat_note="Prices include 20 % VAT.")
    assert add(client, offer, quantity="2").status_code == 302
    cart = client.get("/cart/")
    assert "€24.00".encode() in cart.content
    page = client.get(f"/checkout/{offer.artist.slug}/")
    assert b"TEST PAYMENT" in page.content and b"Prices include 20 % VAT." in page.content
    # Tampered form: a total and a price are sent; the server ignores them.
    response = checkout_post(
        client,
        offer.artist,
        {"email": "fan@example.org", "provider": "test", "total": "1", "price_minor": "0"},
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.total_minor == 2400 and order.vat_note == "Prices include 20 % VAT."
    pay_page = client.get(response["Location"])
    assert b"TEST PAYMENT" in pay_page.content and b"no money moves" in pay_page.content
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(response["Location"], {"outcome": "success"})
    assert done["Location"].startswith(order_page_path(order))
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert order.lines.get().edition_numbers == [1, 2]
    receipt = client.get(done["Location"])
    assert b"Edition number 2" in receipt.content
    assert client.get("/cart/").content.count(b"Check out with") == 0  # cart emptied
    assert mail.outbox and order.code in mail.outbox[-1].subject


def test_declined_test_payment_keeps_the_order_pending(client: Client) -> None:
    offer = OfferFactory()
    PaymentSettingsFactory(artist=offer.artist)
    add(client, offer)
    response = checkout_post(client, offer.artist, {"email": "fan@example.org", "provider": "test"})
    client.post(response["Location"], {"outcome": "decline"})
    payment = Payment.objects.get()
    assert payment.state == PaymentState.FAILED
    assert payment.order.state == OrderState.PENDING


def test_test_page_confirms_test_payments_only(client: Client) -> None:
    """A signed test-page link for a payment of another provider confirms nothing."""
    from disquaire.core.signing import token_make
    from disquaire.payments.providers.test import TOKEN_PURPOSE

    offer = OfferFactory(price_minor=900)
    PaymentSettingsFactory(artist=offer.artist)
    add(client, offer)
    checkout_post(client, offer.artist, {"email": "fan@example.org", "provider": "manual"})
    payment = Payment.objects.get()
    token = token_make(purpose=TOKEN_PURPOSE, payload={"p": payment.pk}, ttl_seconds=60)
    response = client.post(f"/payments/test/{payment.pk}/{token}/", {"outcome": "success"})
    assert response.status_code == 404
    payment.refresh_from_db()
    assert payment.state == PaymentState.PENDING
    assert payment.order.state == OrderState.PENDING


def test_test_provider_is_refused_in_production(settings: Any, client: Client) -> None:
    settings.PRODUCTION = True
    offer = OfferFactory()
    PaymentSettingsFactory(artist=offer.artist)
    assert "test" not in [p.identifier for p in providers_available(offer.artist)]
    add(client, offer)
    response = checkout_post(client, offer.artist, {"email": "fan@example.org", "provider": "test"})
    assert response.status_code == 200  # the form again, with the error
    assert Order.objects.count() == 0


def test_manual_payment_shows_the_band_instructions(client: Client) -> None:
    offer = OfferFactory(price_minor=900)
    PaymentSettingsFactory(
        artist=offer.artist,
        test_mode=False,
        bank_holder="",
        bank_iban="",
        bank_instructions="IBAN FR76 1234",
    )
    add(client, offer)
    response = checkout_post(
        client, offer.artist, {"email": "fan@example.org", "provider": "manual"}
    )
    page = client.get(response["Location"])
    assert b"IBAN FR76 1234" in page.content and "€9.00".encode() in page.content
    assert Payment.objects.get().state == PaymentState.PENDING


def test_physical_checkout_needs_an_address_and_adds_shipping(client: Client) -> None:
    offer = OfferFactory(kind=Offer.Kind.PHYSICAL, price_minor=2000)
    PaymentSettingsFactory(artist=offer.artist)
    ShippingZoneFactory(artist=offer.artist, countries=["FR"], first_item_minor=600)
    add(client, offer)
    url = f"/checkout/{offer.artist.slug}/"
    missing = client.post(url, {"email": "fan@example.org", "provider": "test"})
    assert missing.status_code == 200 and Order.objects.count() == 0
    abroad = client.post(
        url,
        {
            "email": "fan@example.org",
            "provider": "test",
            "name": "Fan",
            "address": "1 Main St",
            "city": "Austin",
            "country": "US",
        },
    )
    assert abroad.status_code == 400 and b"does not ship to United States" in abroad.content
    ok = checkout_post(
        client,
        offer.artist,
        {
            "email": "fan@example.org",
            "provider": "test",
            "name": "Fan",
            "address": "1 rue",
            "city": "Paris",
            "country": "fr",
        },
    )
    assert ok.status_code == 302
    order = Order.objects.get()
    assert (order.shipping_minor, order.total_minor, order.ship_country) == (600, 2600, "FR")
    page = client.get(order_page_path(order)).content.decode()
    assert "Paris<br>France</address>" in page


def test_free_download_for_an_email_with_double_opt_in(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    offer = OfferFactory(pricing=Offer.Pricing.FREE, price_minor=0)
    add(client, offer)
    with django_capture_on_commit_callbacks(execute=True):
        response = checkout_post(
            client, offer.artist, {"email": "Fan@Example.org", "mailing_list": "on"}
        )
    order = Order.objects.get()
    # The order page (the key to the download) goes to the address, not to the browser.
    assert response["Location"] == f"/checkout/{offer.artist.slug}/sent/"
    sent = client.get(response["Location"]).content.decode()
    assert "Check your email" in sent and order_page_path(order) not in sent
    assert order.state == OrderState.PAID
    receipt = next(m for m in mail.outbox if order_page_path(order) in m.body)
    assert [a.lower() for a in receipt.to] == ["fan@example.org"]
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "fan@example.org" and subscriber.confirmed_at is None
    confirmation = next(m for m in mail.outbox if "/checkout/subscribe/" in m.body)
    link = re.search(r"http://testserver(/checkout/subscribe/\S+/)", confirmation.body)
    assert link
    assert client.get(link.group(1)).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is not None
    assert client.get("/checkout/subscribe/forged/").status_code == 400


def test_sold_out_at_checkout_is_a_clear_message_and_holds_nothing(client: Client) -> None:
    offer = OfferFactory(stock=1)
    PaymentSettingsFactory(artist=offer.artist)
    add(client, offer)
    other = Client()
    add(other, offer)
    first = checkout_post(other, offer.artist, {"email": "a@example.org", "provider": "test"})
    assert first.status_code == 302
    second = checkout_post(client, offer.artist, {"email": "b@example.org", "provider": "test"})
    assert second.status_code == 400 and b"sold out" in second.content
    assert Order.objects.count() == 1


def test_bad_amount_in_the_buy_box_is_refused_with_a_message(client: Client) -> None:
    offer = OfferFactory(pricing=Offer.Pricing.PWYW, minimum_minor=500)
    response = client.post(
        "/cart/add/", {"offer": offer.pk, "amount": "-3", "next": "/somewhere/"}, follow=False
    )
    assert response["Location"] == "/somewhere/"
    assert "dq_cart" not in response.cookies and not client.cookies.get("dq_cart")
    off_site = client.post("/cart/add/", {"offer": offer.pk, "amount": "x", "next": "//evil"})
    assert off_site["Location"] == "/cart/"


def test_cart_with_several_artists_checks_out_one_artist_at_a_time(client: Client) -> None:
    a, b = OfferFactory(), OfferFactory()
    PaymentSettingsFactory(artist=a.artist)
    add(client, a)
    add(client, b)
    assert client.get("/cart/").content.count(b"Check out with") == 2
    response = checkout_post(client, a.artist, {"email": "fan@example.org", "provider": "test"})
    assert response.status_code == 302
    assert Order.objects.get().artist == a.artist
    assert client.get("/cart/").content.count(b"Check out with") == 1


def test_checkout_needs_csrf_and_the_cart_refuses_other_sites() -> None:
    client = Client(enforce_csrf_checks=True)
    offer = OfferFactory()
    # Adding to the cart comes from cached pages without a token: only other sites are refused.
    assert client.post("/cart/add/", {"offer": offer.pk}).status_code == 302
    crossed = client.post("/cart/add/", {"offer": offer.pk}, HTTP_ORIGIN="https://evil.example")
    assert crossed.status_code == 403
    checkout = checkout_post(client, offer.artist, {"email": "fan@example.org", "provider": "test"})
    assert checkout.status_code == 403


def test_stripe_checkout_over_http_names_the_provider_and_redirects_to_stripe(
    fake_stripe: FakeStripe, client: Client
) -> None:
    offer = OfferFactory(price_minor=1500)
    add(client, offer)
    page = client.get(f"/checkout/{offer.artist.slug}/")
    assert b"Card (Stripe)" in page.content and "€15.00".encode() in page.content
    response = checkout_post(
        client, offer.artist, {"email": "fan@example.org", "provider": "stripe"}
    )
    assert response["Location"].startswith(fake_stripe.base + "/pay/")


def test_buy_box_of_an_artist_shows_their_merch_with_sizes() -> None:
    from tests.factories import ArtistFactory
    from tests.shop.factories import OfferOptionFactory, ShippingZoneFactory

    artist = ArtistFactory()
    ShippingZoneFactory(artist=artist, name="Europe", first_item_minor=500)
    shirt = OfferFactory(release=None, artist=artist, kind=Offer.Kind.PHYSICAL, title="T-shirt")
    OfferOptionFactory(offer=shirt, label="M", stock=0)
    OfferOptionFactory(offer=shirt, label="L", stock=3)
    request = RequestFactory().get("/")
    html = Template('{% include "shop/includes/buybox.html" %}').render(
        RequestContext(request, {"artist": artist})
    )
    assert "T-shirt" in html and "Europe €5.00" in html
    assert "M — sold out" in html and "L — 3 left" in html
    assert '<label for="option-' in html


def test_order_page_after_returning_from_payment_says_confirmation_is_on_its_way(
    client: Client,
) -> None:
    from tests.shop.helpers import order_for

    order = order_for(OfferFactory())
    page = client.get(order_page_path(order) + "?return=success")
    assert b"has not confirmed your payment yet" in page.content


def test_checkouts_are_limited_per_address(client: Client, settings: Any) -> None:
    """Each checkout mails the address typed: nobody may flood someone's mailbox."""
    settings.DISQUAIRE_CHECKOUT_PER_EMAIL = 2
    offer = OfferFactory(pricing=Offer.Pricing.FREE, price_minor=0)
    codes = []
    for n in range(3):
        browser = Client(REMOTE_ADDR=f"198.51.100.{n}")
        add(browser, offer)
        response = browser.post(f"/checkout/{offer.artist.slug}/", {"email": "victim@example.org"})
        codes.append(response.status_code)
    assert codes == [302, 302, 429]
    assert Order.objects.count() == 2


def test_checkouts_are_limited_per_client(client: Client, settings: Any) -> None:
    settings.DISQUAIRE_CHECKOUT_PER_IP = 2
    offer = OfferFactory(pricing=Offer.Pricing.FREE, price_minor=0)
    codes = []
    for n in range(3):
        add(client, offer)
        response = client.post(f"/checkout/{offer.artist.slug}/", {"email": f"a{n}@example.org"})
        codes.append(response.status_code)
    assert codes == [302, 302, 429]
    assert "Too many orders" in response.content.decode()
