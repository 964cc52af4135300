"""The payments' pages: providers' webhooks (dispatched to the provider, its outcomes
applied here) and the test provider's page. They live with orders, which applies what
providers report; the URLs stay under /payments/ (``orders.payment_urls``)."""

from __future__ import annotations

import logging

from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from disquaire.core.queries import Compiled, only_row
from disquaire.core.signing import TokenError, token_read
from disquaire.orders.models import Payment, PaymentState
from disquaire.orders.outcomes import PAYMENTS_LOOKUP, outcomes_apply
from disquaire.orders.selectors import order_page_path
from disquaire.orders.services import payment_confirm, payment_fail
from disquaire.payments.base import ProviderError
from disquaire.payments.models import PaymentSettings
from disquaire.payments.providers.test import TOKEN_PURPOSE, TestProvider
from disquaire.payments.registry import provider_get

logger = logging.getLogger(__name__)


@csrf_exempt  # signed by the provider instead; each provider verifies its own signature
@require_POST
def webhook_view(request: HttpRequest, provider: str, artist_id: int | None = None) -> HttpResponse:
    """A provider's notification: for the operator's account, or (``artist_id``) for the
    account a band connected on its Payments page."""
    config = None
    if artist_id is not None:
        config = PaymentSettings.objects.filter(artist_id=artist_id).first()
        if config is None:
            raise Http404
    try:
        found = provider_get(provider, config=config)
    except ProviderError as exc:
        raise Http404 from exc
    receipt = found.webhook_receive(request, lookup=PAYMENTS_LOOKUP)
    if receipt.outcomes is None:
        return receipt.response
    try:
        outcomes_apply(outcomes=receipt.outcomes)
    except OperationalError:
        # A row lock we waited too long for: the provider delivers again later.
        logger.warning("%s event: lock timeout, asking for a retry", provider)
        return HttpResponse("busy", status=503, content_type="text/plain")
    return found.webhook_done(receipt)


# The payment settings of the band whose order the test payment belongs to, in one
# statement compiled once (the benchmark's every order goes through this page).
_TEST_PAYMENT_SETTINGS = Compiled(
    lambda payment_id, provider: PaymentSettings.objects.filter(
        artist__orders__payments__pk=payment_id, artist__orders__payments__provider=provider
    ).order_by()[:1]
)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def test_pay_view(request: HttpRequest, payment_id: int, token: str) -> HttpResponse:
    """The test provider's fake payment page: succeed or decline, no money moves."""
    try:
        payload = token_read(purpose=TOKEN_PURPOSE, token=token)
    except TokenError as exc:
        raise Http404 from exc
    if payload.get("p") != payment_id:
        raise Http404
    # Only while the band's test mode is on: turning it off closes every test page. (No
    # settings row: the band never turned it on, or no such test payment.)
    config = _TEST_PAYMENT_SETTINGS.one(payment_id=payment_id, provider=TestProvider.identifier)
    if config is None or not TestProvider(config).is_available():
        raise Http404
    if request.method == "POST" and request.POST.get("outcome") == "success":
        # The confirmation reads the payment itself, locked: no read before it.
        try:
            paid = payment_confirm(
                payment=Payment(pk=payment_id), provider="test", actor="test provider"
            )
        except Payment.DoesNotExist as exc:
            raise Http404 from exc
        return HttpResponseRedirect(order_page_path(paid.order) + "?return=success")
    payment = only_row(
        Payment.objects.select_related("order", "order__artist").filter(
            pk=payment_id, provider="test"
        )
    )
    if payment is None:
        raise Http404
    if request.method == "POST":
        payment_fail(payment=payment, actor="test provider", reason="declined on the test page")
        return HttpResponseRedirect(order_page_path(payment.order) + "?return=cancel")
    return render(
        request,
        "payments/test_pay.html",
        {
            "title": _("TEST PAYMENT — no money moves"),
            "canonical": "",
            "ld": [],
            "artist": payment.order.artist,
            "payment": payment,
            "done": payment.state not in (PaymentState.CREATED, PaymentState.PENDING),
        },
    )
