"""Deliveries to the Stripe webhook that are not well-formed Stripe events — found by the
webhook fuzzer (tests/fuzz) — are refused with a 400, never a server error, and leave
nothing stored."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from disquaire.payments.models import WebhookEvent
from tests.payments.fake_stripe import FakeStripe, sign

pytestmark = pytest.mark.django_db

WEBHOOK = "/payments/stripe/webhook/"


def deliver(client: Client, body: bytes, signature: str) -> int:
    response = client.post(
        WEBHOOK, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )
    return int(response.status_code)


def test_a_signature_header_that_is_not_ascii_is_refused_as_a_bad_signature(
    fake_stripe: FakeStripe, client: Client
) -> None:
    # The fuzzer's first find: the library's comparison raised TypeError on it (a 500).
    assert deliver(client, b"}", "t=1,v1=001\x8a") == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '"an event"',
        "{}",
        '{"id": 1, "type": "checkout.session.completed", "data": {"object": {}}}',
        '{"id": "evt_1", "type": ["x"], "data": {"object": {}}}',
        '{"id": "evt_1", "type": "checkout.session.completed", "data": []}',
        '{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": "cs_1"}}',
        '{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}',
        '{"id": "evt_1", "type": "checkout.session.expired", "data": {"object": {"id": 7}}}',
        json.dumps({"id": "e" * 201, "type": "customer.created", "data": {"object": {}}}),
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=[
        "a list",
        "a string",
        "no id",
        "a numeric id",
        "a type that is no string",
        "data that is no object",
        "an object that is no object",
        "a session event without its session",
        "a session id that is no string",
        "an id longer than any Stripe makes",
        "nested past the parser's depth",
    ],
)
def test_a_signed_delivery_that_is_not_a_stripe_event_is_refused_and_stores_nothing(
    fake_stripe: FakeStripe, client: Client, body: str
) -> None:
    assert deliver(client, body.encode(), sign(body, fake_stripe.webhook_secret)) == 400
    assert not WebhookEvent.objects.exists()
    assert not [r for r in fake_stripe.requests if r[0] == "GET"]


def test_a_well_formed_event_of_another_kind_is_still_acknowledged(
    fake_stripe: FakeStripe, client: Client
) -> None:
    body = json.dumps({"id": "evt_9", "type": "customer.created", "data": {"object": {}}})
    assert deliver(client, body.encode(), sign(body, fake_stripe.webhook_secret)) == 200
    assert WebhookEvent.objects.get().event_id == "evt_9"
