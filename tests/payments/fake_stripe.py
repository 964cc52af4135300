"""A local stand-in for the few endpoints of Stripe's HTTP API the shop uses.

A threaded ``http.server`` on 127.0.0.1 that the official ``stripe`` library talks to
(``DISQUAIRE_STRIPE_API_BASE`` points at it). It implements only:

- ``POST /v1/checkout/sessions`` (form-encoded, as the library sends it; honours
  ``Idempotency-Key``) and ``GET /v1/checkout/sessions/<id>``,
- ``POST /v1/refunds`` (records every refund in ``refunds``),
- ``GET /v1/payment_intents/<id>`` (with ``expand[]=latest_charge``),
- ``GET /v1/account`` (the key check of the Payments page),
- ``POST /v1/webhook_endpoints`` and ``DELETE /v1/webhook_endpoints/<id>`` (the endpoint
  a band's account sends its events to; ``accept_webhook_urls = False`` answers as
  Stripe does for an address it cannot reach).

Every request must carry a known secret key (``keys``), as ``Authorization: Bearer``;
any other gets Stripe's 401 ``authentication_error``.

Tests move sessions along with ``complete()`` / ``expire()`` and build webhook deliveries
with ``event()``, signed exactly as Stripe signs them: header
``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the
endpoint secret>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload``."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Turn ``a[b][0][c]=v`` form keys back into nested dicts (lists stay index dicts)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return root


class FakeStripe:
    def __init__(self, webhook_secret: str = "whsec_test_secret") -> None:  # noqa: S107
        self.webhook_secret = webhook_secret
        self.sessions: dict[str, dict[str, Any]] = {}
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self._idempotent: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.fail_refunds = False
        self.keys: set[str] = {"sk_test_fake", "sk_test_51BandKey0123456789"}
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.accept_webhook_urls = True
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- life --------------------------------------------------------------------------

    def start(self) -> FakeStripe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what tests do -----------------------------------------------------------------

    def complete(self, session_id: str) -> dict[str, Any]:
        """The buyer paid on the hosted page."""
        with self._lock:
            session = self.sessions[session_id]
            intent_id = "pi_" + secrets.token_hex(8)
            session.update(status="complete", payment_status="paid", payment_intent=intent_id)
            self.intents[intent_id] = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": session["amount_total"],
                "currency": session["currency"],
                "status": "succeeded",
                "latest_charge": {
                    "id": "ch_" + secrets.token_hex(8),
                    "object": "charge",
                    "amount": session["amount_total"],
                    "amount_refunded": 0,
                    "payment_intent": intent_id,
                },
            }
            return dict(session)

    def complete_delayed(self, session_id: str) -> dict[str, Any]:
        """The buyer chose a bank debit: the session is complete, the money not there yet."""
        session = self.complete(session_id)
        with self._lock:
            self.sessions[session_id]["payment_status"] = "unpaid"
            self.intents[session["payment_intent"]]["status"] = "processing"
            return dict(self.sessions[session_id])

    def fail_delayed(self, session_id: str) -> dict[str, Any]:
        """The bank refused the debit, days later."""
        with self._lock:
            session = self.sessions[session_id]
            self.intents[session["payment_intent"]]["status"] = "requires_payment_method"
            return dict(session)

    def succeed_delayed(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            session = self.sessions[session_id]
            session["payment_status"] = "paid"
            self.intents[session["payment_intent"]]["status"] = "succeeded"
            return dict(session)

    def expire(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            self.sessions[session_id].update(status="expired")
            return dict(self.sessions[session_id])

    def refund_at_dashboard(self, intent_id: str, amount: int) -> dict[str, Any]:
        """The band refunds in Stripe's dashboard; returns the charge for charge.refunded."""
        with self._lock:
            charge = self.intents[intent_id]["latest_charge"]
            charge["amount_refunded"] += amount
            return dict(charge)

    def event(
        self, kind: str, obj: dict[str, Any], event_id: str | None = None, secret: str | None = None
    ) -> tuple[bytes, str]:
        """A webhook delivery: (raw body, Stripe-Signature header)."""
        body = json.dumps(
            {
                "id": event_id or "evt_" + secrets.token_hex(8),
                "object": "event",
                "api_version": "2025-01-01",
                "created": int(time.time()),
                "type": kind,
                "livemode": False,
                "data": {"object": obj},
            }
        )
        return body.encode(), sign(body, secret or self.webhook_secret)

    # --- the HTTP side -----------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", "req_" + secrets.token_hex(6))
                self.end_headers()
                self.wfile.write(data)

            def _missing(self, what: str) -> None:
                self._send(
                    404,
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "message": f"No such {what}",
                            "code": "resource_missing",
                        }
                    },
                )

            def _authorised(self) -> bool:
                key = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
                if key in fake.keys:
                    return True
                self._send(
                    401,
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "message": "Invalid API Key provided",
                            "code": "api_key_invalid",
                        }
                    },
                )
                return False

            def do_DELETE(self) -> None:
                url = urlsplit(self.path)
                fake.requests.append(("DELETE", url.path))
                if not self._authorised():
                    return None
                match = re.fullmatch(r"/v1/webhook_endpoints/([\w-]+)", url.path)
                with fake._lock:
                    found = fake.endpoints.pop(match.group(1), None) if match else None
                if found is None:
                    return self._missing("webhook_endpoint")
                return self._send(
                    200, {"id": found["id"], "object": "webhook_endpoint", "deleted": True}
                )

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                fake.requests.append(("GET", url.path))
                if url.path.startswith("/pay/"):
                    # The hosted page the buyer is sent to (browser tests land here).
                    page = b"<!doctype html><title>Pay</title><h1>Stripe Checkout (local fake)</h1>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(page)))
                    self.end_headers()
                    self.wfile.write(page)
                    return None
                if not self._authorised():
                    return None
                if url.path == "/v1/account":
                    return self._send(
                        200,
                        {
                            "id": "acct_fakeband",
                            "object": "account",
                            "email": "band@example.org",
                            "settings": {"dashboard": {"display_name": "The Fake Band"}},
                        },
                    )
                match = re.fullmatch(r"/v1/checkout/sessions/([\w-]+)", url.path)
                if match:
                    expand = [v for k, v in parse_qsl(url.query) if k.startswith("expand")]
                    with fake._lock:
                        found = fake.sessions.get(match.group(1))
                        if found is None:
                            return self._missing("checkout.session")
                        body = json.loads(json.dumps(found))
                        intent = fake.intents.get(str(body.get("payment_intent")))
                        if intent is not None and any(
                            e.startswith("payment_intent") for e in expand
                        ):
                            # As Stripe expands it: the object instead of its id.
                            body["payment_intent"] = json.loads(json.dumps(intent))
                            if "payment_intent.latest_charge" not in expand:
                                charge = body["payment_intent"]["latest_charge"]
                                body["payment_intent"]["latest_charge"] = charge["id"]
                    return self._send(200, body)
                match = re.fullmatch(r"/v1/payment_intents/([\w-]+)", url.path)
                if match:
                    with fake._lock:
                        intent = fake.intents.get(match.group(1))
                        if intent is None:
                            return self._missing("payment_intent")
                        body = json.loads(json.dumps(intent))
                    if "latest_charge" not in dict(parse_qsl(url.query)).values():
                        body["latest_charge"] = body["latest_charge"]["id"]
                    return self._send(200, body)
                return self._missing("endpoint")

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                fake.requests.append(("POST", url.path))
                length = int(self.headers.get("Content-Length") or 0)
                form = _nest(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                if not self._authorised():
                    return None
                key = self.headers.get("Idempotency-Key")
                with fake._lock:
                    if key and key in fake._idempotent:
                        return self._send(200, fake._idempotent[key])
                if url.path == "/v1/webhook_endpoints":
                    if not fake.accept_webhook_urls:
                        return self._send(
                            400,
                            {
                                "error": {
                                    "type": "invalid_request_error",
                                    "message": "Invalid URL: URL must be publicly accessible.",
                                    "param": "url",
                                }
                            },
                        )
                    body = fake._endpoint_create(form)
                elif url.path == "/v1/checkout/sessions":
                    body = fake._session_create(form)
                elif url.path == "/v1/refunds":
                    if fake.fail_refunds:
                        return self._send(
                            400,
                            {"error": {"type": "invalid_request_error", "message": "refused"}},
                        )
                    refund = fake._refund_create(form)
                    if refund is None:
                        return self._missing("payment_intent")
                    body = refund
                else:
                    return self._missing("endpoint")
                with fake._lock:
                    if key:
                        fake._idempotent[key] = body
                return self._send(200, body)

        return Handler

    def _session_create(self, form: dict[str, Any]) -> dict[str, Any]:
        items = form.get("line_items", {})
        total = 0
        currency = ""
        for index in sorted(items, key=int):
            item = items[index]
            total += int(item.get("quantity", 1)) * int(item["price_data"]["unit_amount"])
            currency = item["price_data"]["currency"]
        session_id = "cs_test_" + secrets.token_hex(12)
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": form.get("mode"),
            "url": f"{self.base}/pay/{session_id}",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": total,
            "currency": currency,
            "client_reference_id": form.get("client_reference_id"),
            "metadata": form.get("metadata", {}),
            "customer_email": form.get("customer_email"),
            "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"),
            "payment_intent": None,
            "line_items_sent": items,
        }
        with self._lock:
            self.sessions[session_id] = session
        return session

    def _endpoint_create(self, form: dict[str, Any]) -> dict[str, Any]:
        events = form.get("enabled_events", {})
        endpoint = {
            "id": "we_" + secrets.token_hex(8),
            "object": "webhook_endpoint",
            "url": form.get("url"),
            "enabled_events": [events[k] for k in sorted(events, key=int)],
            "secret": "whsec_" + secrets.token_hex(16),
            "status": "enabled",
        }
        with self._lock:
            self.endpoints[endpoint["id"]] = endpoint
        return endpoint

    def _refund_create(self, form: dict[str, Any]) -> dict[str, Any] | None:
        with self._lock:
            intent = self.intents.get(form.get("payment_intent", ""))
            if intent is None:
                return None
            amount = int(form.get("amount") or intent["amount"])
            intent["latest_charge"]["amount_refunded"] += amount
            refund = {
                "id": "re_" + secrets.token_hex(8),
                "object": "refund",
                "amount": amount,
                "payment_intent": intent["id"],
                "status": "succeeded",
            }
            self.refunds.append(refund)
            return refund


@pytest.fixture
def fake_stripe_api(settings: Any) -> Iterator[FakeStripe]:
    """Stripe's API on 127.0.0.1 and no keys in the environment: each band connects its
    own account on the Payments page."""
    fake = FakeStripe().start()
    settings.DISQUAIRE_STRIPE_SECRET_KEY = ""
    settings.DISQUAIRE_STRIPE_WEBHOOK_SECRET = ""
    settings.DISQUAIRE_STRIPE_API_BASE = fake.base
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_stripe(settings: Any) -> Iterator[FakeStripe]:
    """Stripe's API on 127.0.0.1, with the shop configured to use it."""
    fake = FakeStripe().start()
    settings.DISQUAIRE_STRIPE_SECRET_KEY = "sk_test_fake"
    settings.DISQUAIRE_STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    settings.DISQUAIRE_STRIPE_API_BASE = fake.base
    try:
        yield fake
    finally:
        fake.stop()
