"""The band's Payments page: Stripe connected by pasting keys (against the local fake of
Stripe's API), bank transfer details, test mode — and what checkout then offers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from disquaire.catalog.models import Membership
from disquaire.core.models import ActivityEntry
from disquaire.orders.models import Order, OrderState, Payment, PaymentState
from disquaire.payments.models import PaymentSettings
from disquaire.payments.registry import providers_available
from disquaire.payments.services import STRIPE_EVENTS
from tests.factories import ArtistFactory, MembershipFactory, ReleaseFactory, UserFactory
from tests.payments.fake_stripe import FakeStripe
from tests.shop.factories import OfferFactory, PaymentSettingsFactory
from tests.shop.helpers import checkout_post

pytestmark = pytest.mark.django_db

SECRET = "sk_test_51BandKey0123456789"


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def owner() -> tuple[Any, Client]:
    user = UserFactory()
    artist = ArtistFactory()
    MembershipFactory(artist=artist, user=user, role=Membership.Role.OWNER)
    client = Client()
    client.force_login(user)
    return artist, client


def _url(artist: Any) -> str:
    return reverse("backstage:payments", kwargs={"artist": artist.slug})


def _connect(client: Client, artist: Any, **data: str) -> Any:
    return client.post(_url(artist), {"action": "stripe_connect", "secret_key": SECRET, **data})


# --- Stripe ---------------------------------------------------------------------------------


def test_pasted_keys_are_checked_stored_sealed_and_the_webhook_registered(
    fake_stripe_api: FakeStripe, owner: tuple[Any, Client]
) -> None:
    artist, client = owner
    assert _connect(client, artist, publishable_key="pk_test_abc").status_code == 302
    config = PaymentSettings.objects.get(artist=artist)
    assert ("GET", "/v1/account") in fake_stripe_api.requests
    (endpoint,) = fake_stripe_api.endpoints.values()
    assert endpoint["url"] == f"http://testserver/payments/stripe/webhook/{artist.pk}/"
    assert endpoint["enabled_events"] == list(STRIPE_EVENTS)
    assert config.stripe_webhook_id == endpoint["id"]
    # Neither secret is readable in the database.
    row = json.dumps(PaymentSettings.objects.filter(pk=config.pk).values().get(), default=str)
    assert SECRET not in row and endpoint["secret"] not in row
    assert [p.identifier for p in providers_available(artist)] == ["stripe"]
    page = client.get(_url(artist)).content.decode()
    assert 'data-stripe-state="ready"' in page and "The Fake Band" in page
    assert SECRET not in page and endpoint["secret"] not in page
    assert "sk_test_…6789" in page


def test_wrong_secret_key_is_told_in_plain_words_and_nothing_is_stored(
    fake_stripe_api: FakeStripe, owner: tuple[Any, Client]
) -> None:
    artist, client = owner
    response = client.post(_url(artist), {"action": "stripe_connect", "secret_key": "sk_test_typo"})
    assert response.status_code == 400
    assert "Stripe refused this secret key" in response.content.decode()
    assert "sk_test_typo" not in response.content.decode()
    assert not PaymentSettings.objects.filter(artist=artist).exclude(stripe_secret_sealed="")
    not_a_key = client.post(_url(artist), {"action": "stripe_connect", "secret_key": "pk_x"})
    assert "This is not a Stripe secret key" in not_a_key.content.decode()
    assert providers_available(artist) == []


def test_unreachable_address_shows_where_to_add_the_webhook_then_takes_its_secret(
    fake_stripe_api: FakeStripe, owner: tuple[Any, Client]
) -> None:
    artist, client = owner
    fake_stripe_api.accept_webhook_urls = False
    _connect(client, artist)
    assert providers_available(artist) == []  # no webhook: payments could never confirm
    page = client.get(_url(artist)).content.decode()
    assert 'data-stripe-state="not-ready"' in page
    assert f"/payments/stripe/webhook/{artist.pk}/" in page
    assert "checkout.session.completed" in page and "charge.refunded" in page
    bad = client.post(_url(artist), {"action": "stripe_webhook", "webhook_secret": "nope"})
    assert bad.status_code == 400 and "starts with “whsec_”" in bad.content.decode()
    client.post(_url(artist), {"action": "stripe_webhook", "webhook_secret": "whsec_pasted"})
    assert [p.identifier for p in providers_available(artist)] == ["stripe"]


def test_a_band_account_takes_the_payment_and_its_webhook_confirms_it(
    fake_stripe_api: FakeStripe, owner: tuple[Any, Client]
) -> None:
    artist, client = owner
    _connect(client, artist)
    (endpoint,) = fake_stripe_api.endpoints.values()
    offer = OfferFactory(release=ReleaseFactory(artist=artist), price_minor=1500)
    fan = Client()
    fan.post("/cart/add/", {"offer": offer.pk})
    response = checkout_post(fan, artist, {"email": "fan@example.org", "provider": "stripe"})
    assert response["Location"].startswith(fake_stripe_api.base + "/pay/")
    payment = Payment.objects.get()
    assert fake_stripe_api.sessions[payment.provider_ref]["amount_total"] == 1500
    session = fake_stripe_api.complete(payment.provider_ref)
    hook = f"/payments/stripe/webhook/{artist.pk}/"
    body, signature = fake_stripe_api.event("checkout.session.completed", session)
    # Signed with another secret: refused, and the band is told on its Payments page.
    forged = client.post(hook, body, content_type="application/json",
                         HTTP_STRIPE_SIGNATURE=signature)  # fmt: skip
    assert forged.status_code == 400
    page = client.get(_url(artist)).content.decode()
    assert "signature does not match the webhook signing secret" in page
    body, signature = fake_stripe_api.event(
        "checkout.session.completed", session, secret=endpoint["secret"]
    )
    ok = client.post(hook, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
    assert ok.status_code == 200
    payment.refresh_from_db()
    assert payment.state == PaymentState.CONFIRMED and payment.order.state == OrderState.PAID
    assert payment.order.is_test  # sk_test_ keys: Stripe's test mode, no real money
    assert "signature does not match" not in client.get(_url(artist)).content.decode()


def test_the_operators_environment_keys_win_over_the_bands(
    fake_stripe: FakeStripe, owner: tuple[Any, Client]
) -> None:
    artist, client = owner
    PaymentSettingsFactory(artist=artist, test_mode=False, bank_enabled=False)
    page = client.get(_url(artist)).content.decode()
    assert "DISQUAIRE_STRIPE_SECRET_KEY" in page and 'data-stripe-state="ready"' in page
    assert [p.identifier for p in providers_available(artist)] == ["stripe"]


def test_disconnecting_removes_the_registered_endpoint(
    fake_stripe_api: FakeStripe, owner: tuple[Any, Client]
) -> None:
    artist, client = owner
    _connect(client, artist)
    client.post(_url(artist), {"action": "stripe_disconnect"})
    assert fake_stripe_api.endpoints == {}
    assert providers_available(artist) == []


def test_only_owners_change_payments_and_each_change_is_audited(
    fake_stripe_api: FakeStripe, owner: tuple[Any, Client]
) -> None:
    artist, client = owner
    _connect(client, artist)
    client.post(
        _url(artist),
        {"action": "bank", "enabled": "on", "holder": "Les Bijoux",
         "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPP"},
    )  # fmt: skip
    client.post(_url(artist), {"action": "test_on", "understood": "on"})
    actions = list(
        ActivityEntry.objects.filter(artist_id=artist.pk, object_type="paymentsettings")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "payments.stripe_connect",
        "payments.bank_transfer",
        "payments.test_mode_on",
    ]
    logged = ActivityEntry.objects.values_list("actor", "before", "after")
    assert SECRET not in json.dumps(list(logged))
    owner_email = Membership.objects.get(artist=artist).user.email
    assert {actor for actor, _before, _after in logged} == {f"backstage:{owner_email}"}
    member = UserFactory()
    MembershipFactory(artist=artist, user=member, role=Membership.Role.MEMBER)
    other = Client()
    other.force_login(member)
    assert other.get(_url(artist)).status_code == 200
    assert other.post(_url(artist), {"action": "test_off"}).status_code == 403
    assert PaymentSettings.objects.get(artist=artist).test_mode


# --- bank transfer --------------------------------------------------------------------------


def test_an_iban_with_a_bad_checksum_is_refused_and_nothing_changes(
    owner: tuple[Any, Client],
) -> None:
    artist, client = owner
    response = client.post(
        _url(artist),
        {"action": "bank", "enabled": "on", "holder": "Les Bijoux",
         "iban": "FR76 3000 6000 0112 3456 7890 188", "bic": "AGRIFRPP"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "check digits do not match" in response.content.decode()
    assert not PaymentSettings.objects.filter(artist=artist, bank_enabled=True).exists()
    assert providers_available(artist) == []


def test_bank_transfer_is_offered_only_with_somewhere_to_send_the_money(
    owner: tuple[Any, Client],
) -> None:
    artist, client = owner
    empty = client.post(_url(artist), {"action": "bank", "enabled": "on"})
    assert empty.status_code == 400 and "account holder and IBAN" in empty.content.decode()
    client.post(
        _url(artist),
        {"action": "bank", "enabled": "on", "instructions": "Cash at the merch table."},
    )
    assert [p.identifier for p in providers_available(artist)] == ["manual"]
    page = client.get(_url(artist)).content.decode()
    assert 'data-bank-state="ready"' in page


def test_bank_details_and_reference_are_on_the_order_page_and_the_receipt(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    from disquaire.orders.services import payment_manual_mark_paid

    offer = OfferFactory(price_minor=900)
    PaymentSettingsFactory(artist=offer.artist, test_mode=False, bank_instructions="Thanks!")
    client.post("/cart/add/", {"offer": offer.pk})
    response = checkout_post(client, offer.artist, {"email": "f@example.org", "provider": "manual"})
    order = Order.objects.get()
    page = client.get(response["Location"]).content.decode()
    for text in ("The Band", "FR76 3000 6000 0112 3456 7890 189", "AGRIFRPP", order.code,
                 "€9.00", "Thanks!"):  # fmt: skip
        assert text in page
    with django_capture_on_commit_callbacks(execute=True):
        payment_manual_mark_paid(payment=Payment.objects.get(), actor="band")
    receipt = mail.outbox[-1].body
    assert "FR76 3000 6000 0112 3456 7890 189" in receipt and order.code in receipt


# --- test mode ------------------------------------------------------------------------------


def test_without_test_mode_no_test_payment_is_offered_or_taken(client: Client) -> None:
    offer = OfferFactory(price_minor=900)
    PaymentSettingsFactory(artist=offer.artist, test_mode=False)
    assert "test" not in [p.identifier for p in providers_available(offer.artist)]
    client.post("/cart/add/", {"offer": offer.pk})
    page = client.get(f"/checkout/{offer.artist.slug}/").content.decode()
    assert "TEST PAYMENT" not in page and "Test mode" not in page
    refused = checkout_post(client, offer.artist, {"email": "f@example.org", "provider": "test"})
    assert "Select a valid choice" in refused.content.decode()  # the form, with the error
    assert Order.objects.count() == 0


def test_a_shop_with_nothing_set_up_offers_no_way_to_pay(client: Client) -> None:
    offer = OfferFactory(price_minor=900)
    client.post("/cart/add/", {"offer": offer.pk})
    page = client.get(f"/checkout/{offer.artist.slug}/").content.decode()
    assert "cannot take payments yet" in page and 'name="provider"' not in page
    assert "TEST PAYMENT" not in page and "Bank transfer" not in page


def test_in_test_mode_every_page_has_the_banner_and_orders_are_test_orders(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    offer = OfferFactory(price_minor=900)
    PaymentSettingsFactory(artist=offer.artist, bank_enabled=False)
    for url in (offer.artist.get_absolute_url(), offer.release.get_absolute_url()):
        assert "Test mode" in client.get(url).content.decode()
    client.post("/cart/add/", {"offer": offer.pk})
    page = client.get(f"/checkout/{offer.artist.slug}/").content.decode()
    assert "Test mode" in page and 'value="test" checked' in page  # the only way offered
    response = checkout_post(client, offer.artist, {"email": "f@example.org", "provider": "test"})
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(response["Location"], {"outcome": "success"})
    order = Order.objects.get()
    assert order.is_test and order.state == OrderState.PAID
    assert "TEST ORDER" in client.get(done["Location"]).content.decode()
    assert mail.outbox[-1].subject.startswith("[TEST] ")
    assert "TEST ORDER" in mail.outbox[-1].body


def test_turning_test_mode_off_closes_the_test_payment_page(client: Client) -> None:
    offer = OfferFactory(price_minor=900)
    config = PaymentSettingsFactory(artist=offer.artist)
    client.post("/cart/add/", {"offer": offer.pk})
    response = checkout_post(client, offer.artist, {"email": "f@example.org", "provider": "test"})
    PaymentSettings.objects.filter(pk=config.pk).update(test_mode=False)
    assert client.post(response["Location"], {"outcome": "success"}).status_code == 404
    assert Order.objects.get().state == OrderState.PENDING
    assert "Test mode" not in client.get(offer.artist.get_absolute_url()).content.decode()


def test_turning_test_mode_on_needs_the_band_to_say_it_understands(
    owner: tuple[Any, Client],
) -> None:
    artist, client = owner
    response = client.post(_url(artist), {"action": "test_on"})
    assert response.status_code == 400
    assert not PaymentSettings.objects.filter(artist=artist, test_mode=True).exists()


def test_the_demo_band_is_in_test_mode() -> None:
    from disquaire.shop.demo import demo_shop_create

    artist = ArtistFactory()
    demo_shop_create(
        artist=artist, album=ReleaseFactory(artist=artist), ep=ReleaseFactory(artist=artist)
    )
    config = PaymentSettings.objects.get(artist=artist)
    assert config.test_mode and config.bank_ready
    assert [p.identifier for p in providers_available(artist)] == ["manual", "test"]


def test_production_never_offers_test_payment_even_in_test_mode(settings: Any) -> None:
    settings.PRODUCTION = True
    settings.DISQUAIRE_TEST_PAYMENTS_IN_PRODUCTION = False
    config = PaymentSettingsFactory()
    assert "test" not in [p.identifier for p in providers_available(config.artist)]


def test_test_mode_offers_the_test_payment_without_the_operator_listing_it(
    settings: Any,
) -> None:
    # The default list (no "test"): a plain `disquaire serve`, not the demo.
    settings.PAYMENT_PROVIDERS = ["stripe", "manual"]
    on = PaymentSettingsFactory(test_mode=True, bank_enabled=False)
    off = PaymentSettingsFactory(test_mode=False, bank_enabled=False)
    assert [p.identifier for p in providers_available(on.artist)] == ["test"]
    assert [p.identifier for p in providers_available(off.artist)] == []
