"""Bounces and complaints reported by the email provider (django-anymail's tracking
webhooks, which check the webhook's authentication before this runs: a forged call is
refused with 400 and never reaches here).

Each event is stored once under (provider, event id): a provider delivering the same
event twice counts it once. A hard bounce or a complaint blocks the address at once; a
soft bounce (temporary failure) blocks it on the third.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from disquaire.core.addresses import email_normalise
from disquaire.fans.follow import follower_block, follower_soft_bounce
from disquaire.fans.follow_models import Follower, FollowerState
from disquaire.fans.updates_models import Delivery, DeliveryState, MailEvent

HARD, SOFT, COMPLAINT, UNSUBSCRIBE = "hard", "soft", "complaint", "unsubscribe"


def _kind(event: Any) -> str:
    """What the event means for the address: hard/soft bounce, complaint, unsubscribe,
    or "" for events that change nothing (delivered, opened...)."""
    kind = str(event.event_type or "")
    if kind == "complained":
        return COMPLAINT
    if kind == "unsubscribed":
        return UNSUBSCRIBE
    if kind == "deferred":
        return SOFT
    if kind in ("bounced", "rejected"):
        raw = event.esp_event if isinstance(event.esp_event, dict) else {}
        response = str(event.mta_response or "")
        if raw.get("Type") == "SoftBounce" or raw.get("severity") == "temporary":
            return SOFT
        if response[:1] == "4":
            return SOFT
        return HARD
    return ""


def _event_id(event: Any) -> str:
    if event.event_id:
        return str(event.event_id)[:200]
    seed = f"{event.event_type}|{event.recipient}|{event.message_id}|{event.timestamp}"
    return "h:" + hashlib.sha256(seed.encode()).hexdigest()


def mail_event_handle(*, event: Any, esp_name: str) -> bool:
    """Apply one tracking event; False when it was already applied (or means nothing)."""
    kind = _kind(event)
    recipient = email_normalise(event.recipient or "")
    if not kind or not recipient:
        return False
    try:
        with transaction.atomic():
            MailEvent.objects.create(
                esp=esp_name[:40],
                event_id=_event_id(event),
                event_type=str(event.event_type)[:40],
                recipient=recipient,
                message_id=str(event.message_id or "")[:200],
            )
            latest = (
                Delivery.objects.filter(email=recipient, state=DeliveryState.SENT)
                .order_by("-sent_at", "-pk")
                .first()
            )
            if kind in (HARD, COMPLAINT):
                follower_block(
                    email=recipient, reason="complaint" if kind == COMPLAINT else "hard bounce"
                )
            elif kind == SOFT:
                follower_soft_bounce(email=recipient)
            else:
                Follower.objects.filter(email=recipient, state=FollowerState.CONFIRMED).update(
                    state=FollowerState.UNSUBSCRIBED
                )
            if latest is not None:
                state = {
                    HARD: DeliveryState.BOUNCED,
                    SOFT: DeliveryState.BOUNCED,
                    COMPLAINT: DeliveryState.COMPLAINED,
                    UNSUBSCRIBE: DeliveryState.UNSUBSCRIBED,
                }[kind]
                Delivery.objects.filter(pk=latest.pk).update(state=state, error=kind)
    except IntegrityError:  # the same event again
        return False
    return True


def tracking_received(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    """anymail's ``tracking`` signal."""
    mail_event_handle(event=event, esp_name=esp_name)


def _tracking_views() -> dict[str, Any]:
    """anymail's tracking webhook views, by provider ("postmark", "mailgun", ...)."""
    from anymail.urls import urlpatterns

    views = {}
    for pattern in urlpatterns:
        name = pattern.name or ""
        if name.endswith("_tracking_webhook"):
            views[name.removesuffix("_tracking_webhook")] = pattern.callback
    return views


@csrf_exempt  # the provider posts; anymail's view checks its authentication
def tracking_webhook_view(request: HttpRequest, esp: str) -> HttpResponse:
    """The tracking webhook of the provider ``esp``, if the operator turned it on
    (``DISQUAIRE_EMAIL_WEBHOOKS``); 404 otherwise. anymail's own view answers: it
    checks the basic-auth secret (and the provider's signature where there is one),
    refuses a forged call with 400, and sends the ``tracking`` signal handled above."""
    enabled = settings.DISQUAIRE_EMAIL_WEBHOOKS
    view = _tracking_views().get(esp) if esp in enabled else None
    if view is None:
        raise Http404
    response: HttpResponse = view(request)
    return response
