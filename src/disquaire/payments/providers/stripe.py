"""Stripe Checkout through the official ``stripe`` library.

The buyer pays on a Stripe-hosted Checkout Session; Stripe tells us through webhooks
(``checkout.session.completed``, ``checkout.session.expired``, ``charge.refunded``). The
event only says *that* something happened: the session (or payment intent) is fetched
again from the API and that answer is what we report (``payments.outcomes``), so a
forged, stale or out-of-order event cannot mark anything paid. The orders room applies
the outcomes, the check of the amount included.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.db import IntegrityError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disquaire.payments.base import (
    BasePaymentProvider,
    ProviderError,
    RefundFailed,
    WebhookReceipt,
)
from disquaire.payments.models import PaymentSettings, WebhookEvent
from disquaire.payments.outcomes import (
    Checkout,
    Expired,
    Failed,
    Outcome,
    Paid,
    PaymentLookup,
    Refunded,
    Started,
)
from disquaire.payments.selectors import (
    StripeCredentials,
    stripe_credentials,
    stripe_environment,
)

if TYPE_CHECKING:
    from disquaire.orders.models import Payment

logger = logging.getLogger(__name__)


# Every event about a session leads to the same thing: fetch it, act on what it is now.
# The async_payment ones come for delayed methods (SEPA debit...) after "completed".
SESSION_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.expired",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
    }
)


def stripe_client(secret_key: str | None = None) -> stripe.StripeClient:
    """A client for ``secret_key`` (the operator's DISQUAIRE_STRIPE_SECRET_KEY by default)."""
    return stripe.StripeClient(
        secret_key if secret_key is not None else settings.DISQUAIRE_STRIPE_SECRET_KEY,
        base_addresses={"api": settings.DISQUAIRE_STRIPE_API_BASE},
        max_network_retries=2,
        # Connecting takes at most 5 s; an answer, DISQUAIRE_STRIPE_TIMEOUT.
        http_client=stripe.new_default_http_client(timeout=(5, settings.DISQUAIRE_STRIPE_TIMEOUT)),
    )


class StripeProvider(BasePaymentProvider):
    identifier = "stripe"
    verbose_name = _("Card (Stripe)")
    description = _("You will pay on Stripe's secure page, then come back here.")

    @property
    def credentials(self) -> StripeCredentials | None:
        """The environment's keys (the operator's override), else the artist's own."""
        if not hasattr(self, "_credentials"):
            self._credentials = stripe_credentials(self.config)
        return self._credentials

    def client(self) -> stripe.StripeClient:
        found = self.credentials
        if found is None:
            raise ProviderError(str(_("Card payments are not set up.")))
        return stripe_client(found.secret_key)

    def is_available(self) -> bool:
        return self.credentials is not None

    @property
    def marks_test(self) -> bool:
        # Stripe's test keys move no money: such orders are test orders.
        found = self.credentials
        return found is not None and not found.livemode

    # --- checkout ------------------------------------------------------------------------

    def checkout_begin(self, checkout: Checkout, request: HttpRequest) -> Started:
        currency = checkout.currency.lower()
        items: list[dict[str, Any]] = [
            {
                "quantity": item.quantity,
                "price_data": {
                    "currency": currency,
                    "unit_amount": item.unit_minor,
                    "product_data": {"name": item.name},
                },
            }
            for item in checkout.items
            if item.unit_minor > 0  # free extras add nothing to what Stripe charges
        ]
        if checkout.shipping_minor:
            items.append(
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency,
                        "unit_amount": checkout.shipping_minor,
                        "product_data": {"name": str(_("Shipping"))},
                    },
                }
            )
        page = settings.SITE_URL + checkout.page_path
        pk = checkout.payment_id
        try:
            params: Any = {
                "mode": "payment",
                "line_items": items,
                "client_reference_id": str(pk),
                "metadata": {"payment_id": str(pk), "order": checkout.order_code},
                "customer_email": checkout.email,
                "success_url": page + "?return=success",
                "cancel_url": page + "?return=cancel",
            }
            session = self.client().v1.checkout.sessions.create(
                params=params,
                options={"idempotency_key": f"disquaire-payment-{pk}"},
            )
        except stripe.StripeError as exc:
            logger.warning("stripe checkout for payment %s failed: %s", pk, exc)
            raise ProviderError(str(_("The card payment service is not answering."))) from exc
        return Started(
            provider=self.identifier,
            payment_id=pk,
            provider_ref=session.id,
            actor="stripe",
            redirect_url=str(session.url),
        )

    def refund(self, payment: Payment, amount_minor: int, *, idempotency_key: str = "") -> str:
        try:
            client = self.client()
            intent = payment.provider_data.get("payment_intent")
            if not intent:
                session = client.v1.checkout.sessions.retrieve(payment.provider_ref).to_dict()
                intent = _id(session.get("payment_intent"))
            refund = client.v1.refunds.create(
                params={"payment_intent": intent, "amount": amount_minor},
                options={"idempotency_key": idempotency_key} if idempotency_key else {},
            )
        except (stripe.StripeError, ProviderError) as exc:
            raise RefundFailed(str(exc)) from exc
        return str(refund.id)

    # --- webhooks ------------------------------------------------------------------------

    def webhook_receive(self, request: HttpRequest, *, lookup: PaymentLookup) -> WebhookReceipt:
        """Events for the operator's keys come to ``/payments/stripe/webhook/``; those of a
        band's own account to ``/payments/stripe/webhook/<artist id>/`` (``config``)."""
        found = stripe_environment() if self.config is None else self.credentials
        if found is None or not found.webhook_secret:
            # Never verify against an empty secret: anyone could sign with it.
            return WebhookReceipt(_text("not configured", 404))
        payload = request.body.decode("utf-8", errors="replace")
        header = request.headers.get("Stripe-Signature", "")
        try:
            if not header.isascii():
                # Not a signature (and the library's comparison raises TypeError on it).
                raise stripe.SignatureVerificationError("not ASCII", header, payload)
            # With Stripe's tolerance (5 minutes): without one, an old delivery replays.
            stripe.WebhookSignature.verify_header(
                payload,
                header,
                found.webhook_secret,
                tolerance=stripe.Webhook.DEFAULT_TOLERANCE,
            )
        except stripe.SignatureVerificationError:
            if self.config is not None and self.config.pk:
                # Told on the Payments page: the signing secret there is not this endpoint's.
                PaymentSettings.objects.filter(pk=self.config.pk).update(
                    stripe_webhook_failed_at=timezone.now()
                )
            return WebhookReceipt(_text("bad signature", 400))
        event = _event_parse(payload)
        if event is None:
            return WebhookReceipt(_text("malformed event", 400))
        event_id, kind, obj = event
        try:
            row, _created = WebhookEvent.objects.get_or_create(
                provider=self.identifier,
                event_id=event_id,
                defaults={"type": kind[:100], "payload": json.loads(payload)},
            )
        except IntegrityError:
            # Stored a moment ago by a concurrent delivery of the same event.
            row = WebhookEvent.objects.get(provider=self.identifier, event_id=event_id)
        if row.processed_at is not None:
            return WebhookReceipt(_text("already processed", 200))
        try:
            outcomes = self._event_outcomes(kind, obj, lookup)
        except OperationalError:
            # A row lock we waited too long for: Stripe delivers again later.
            logger.warning("stripe event %s: lock timeout, asking for a retry", event_id)
            return WebhookReceipt(_text("busy", 503))
        except stripe.StripeError:
            logger.warning("stripe event %s: API not answering, asking for a retry", event_id)
            return WebhookReceipt(_text("upstream", 503))
        return WebhookReceipt(_text("ok", 200), outcomes=outcomes, event_pk=row.pk)

    def webhook_done(self, receipt: WebhookReceipt) -> HttpResponse:
        if receipt.event_pk is not None:
            WebhookEvent.objects.filter(pk=receipt.event_pk).update(processed_at=timezone.now())
        if self.config is not None and self.config.pk:
            PaymentSettings.objects.filter(pk=self.config.pk).update(
                stripe_webhook_ok_at=timezone.now()
            )
        return receipt.response

    def _event_outcomes(self, kind: str, obj: Any, lookup: PaymentLookup) -> list[Outcome]:
        if kind in SESSION_EVENTS:
            return self._session_outcomes(str(obj["id"]), lookup)
        if kind == "charge.refunded":
            intent = _id(obj.get("payment_intent"))
            if intent:
                return self._refund_outcomes(intent, lookup)
        # Other event types are acknowledged and ignored.
        return []

    @property
    def _artist_id(self) -> int | None:
        return self.config.artist_id if self.config else None

    def _session_outcomes(self, session_id: str, lookup: PaymentLookup) -> list[Outcome]:
        """What the API says the session is now, whatever the event claimed.

        Stripe sends every event of the account to every endpoint: a session of another
        shop on the same account is acknowledged without asking the API, so that an API
        outage never makes Stripe retry someone else's event for days.
        """
        if not lookup.ref_known(provider=self.identifier, provider_ref=session_id):
            logger.info("stripe session %s belongs to no payment here", session_id)
            return []
        # The charge comes along for its card's fingerprint (self-referral checks).
        session = (
            self.client()
            .v1.checkout.sessions.retrieve(
                session_id, params={"expand": ["payment_intent.latest_charge"]}
            )
            .to_dict()
        )
        ref = session.get("client_reference_id") or (session.get("metadata") or {}).get(
            "payment_id"
        )
        if not ref or not str(ref).isdigit():
            logger.warning("stripe session %s belongs to no payment here", session_id)
            return []
        which: dict[str, Any] = {
            "provider": self.identifier,
            "payment_id": int(ref),
            "provider_ref": str(session.get("id") or ""),
            "artist_id": self._artist_id,
            "actor": "stripe",
        }
        if session.get("payment_status") == "paid":
            intent = _id(session.get("payment_intent"))
            remember = {"payment_intent": intent} if intent else {}
            fingerprint = card_fingerprint(session)
            if fingerprint:
                remember["card_fingerprint"] = fingerprint
            total = session.get("amount_total")
            return [
                Paid(
                    **which,
                    amount_minor=total if isinstance(total, int) else None,
                    currency=str(session.get("currency", "")).upper(),
                    label=f"Stripe session {session_id}",
                    dashboard="Stripe's dashboard",
                    data={"session": session_id},
                    remember=remember,
                )
            ]
        if session.get("status") == "expired":
            return [Expired(**which, reason="session expired")]
        if session.get("status") == "complete" and _delayed_payment_failed(session):
            # A bank debit (SEPA, …) the bank refused days after the buyer left: the
            # order stops waiting and gives its units back at once.
            return [Failed(**which, reason="delayed payment failed")]
        return []

    def _refund_outcomes(self, intent_id: str, lookup: PaymentLookup) -> list[Outcome]:
        match = {"payment_intent": intent_id}
        if not lookup.refundable(provider=self.identifier, match=match, artist_id=self._artist_id):
            return []
        intent = (
            self.client()
            .v1.payment_intents.retrieve(intent_id, params={"expand": ["latest_charge"]})
            .to_dict()
        )
        charge = intent.get("latest_charge")
        if not isinstance(charge, dict):
            charge = {}
        refunded = int(charge.get("amount_refunded", 0))
        if not refunded:
            return []
        return [
            Refunded(
                provider=self.identifier,
                artist_id=self._artist_id,
                actor="stripe",
                refunded_minor=refunded,
                currency=str(charge.get("currency", "")).upper()
                if isinstance(charge, dict)
                else "",
                match=match,
            )
        ]


def _text(body: str, status: int) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain")


EVENT_ID_MAX = WebhookEvent._meta.get_field("event_id").max_length or 200


def _event_parse(payload: str) -> tuple[str, str, dict[str, Any]] | None:
    """``(id, type, data.object)`` of the Stripe event in ``payload``; None when it is not
    one (Stripe signs only well-formed events, so this is a forgery with a leaked secret,
    or a bug: refused, never a server error)."""
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict):
        return None
    event_id, kind, data = body.get("id"), body.get("type"), body.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(event_id, str) or not 0 < len(event_id) <= EVENT_ID_MAX:
        return None
    if not isinstance(kind, str) or not isinstance(obj, dict):
        return None
    if kind in SESSION_EVENTS and not (isinstance(obj.get("id"), str) and obj["id"]):
        return None
    return event_id, kind, obj


def card_fingerprint(session: dict[str, Any]) -> str:
    """The paying card's fingerprint (the same card gives the same one across Stripe
    accounts' customers), from a session retrieved with its payment intent's latest
    charge expanded; "" when not there (another way to pay, not expanded)."""
    intent = session.get("payment_intent")
    charge = intent.get("latest_charge") if isinstance(intent, dict) else None
    details = charge.get("payment_method_details") if isinstance(charge, dict) else None
    card = details.get("card") if isinstance(details, dict) else None
    fingerprint = card.get("fingerprint") if isinstance(card, dict) else None
    return str(fingerprint)[:100] if fingerprint else ""


def _delayed_payment_failed(session: dict[str, Any]) -> bool:
    """A completed session whose delayed payment the bank refused: still unpaid, and its
    payment intent back to asking for a payment method (or canceled)."""
    if session.get("payment_status") == "paid":
        return False
    intent = session.get("payment_intent")
    if not isinstance(intent, dict):
        return False
    return intent.get("status") in {"requires_payment_method", "canceled"}


def _id(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id", ""))
    return str(value or "")
