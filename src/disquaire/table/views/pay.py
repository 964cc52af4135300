"""Pay on your phone: the table starts a checkout for its cart, shows its link as a QR
code, asks how it stands; the fan's phone opens the link and pays with the provider."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from disquaire.table import phone_pay
from disquaire.table.errors import SellerRefused, TableError
from disquaire.table.models import Sale
from disquaire.table.views.access import Access, seller_api

MAX_BODY = 64 * 1024


@seller_api
@require_POST
def checkout(request: HttpRequest, access: Access) -> JsonResponse:
    """``{"sale": {...}}`` (a sale as the phone makes it, payment ``phone``) →
    ``{"id", "status": "pending", "pay": <the link for the QR code>}``; the same again
    answers the same."""
    if len(request.body) > MAX_BODY:
        return JsonResponse({"error": "too_big", "message": _("The sale is too big.")}, status=413)
    try:
        body: Any = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"error": "json", "message": _("The sale is not JSON.")}, status=400)
    raw = body.get("sale") if isinstance(body, dict) else None
    if not isinstance(raw, dict):
        return JsonResponse({"error": "json", "message": _("No sale.")}, status=400)
    try:
        answer = phone_pay.phone_checkout(
            seller=access.seller, raw=raw, request=request, by=access.by
        )
    except SellerRefused as exc:
        return JsonResponse({"error": "revoked", "message": str(exc)}, status=403)
    except TableError as exc:
        return JsonResponse({"error": "sale", "message": str(exc)}, status=400)
    return JsonResponse(answer)


def _sale(access: Access, sale_id: uuid.UUID) -> Sale:
    sale = Sale.objects.filter(pk=sale_id, artist=access.artist, payment=Sale.Payment.PHONE).first()
    if sale is None:
        raise Http404
    return sale


@seller_api
@require_safe
def status(request: HttpRequest, access: Access, sale_id: uuid.UUID) -> JsonResponse:
    """How a phone sale stands: pending, accepted, flagged or cancelled (the table polls)."""
    response = JsonResponse(phone_pay.phone_sale_status(sale=_sale(access, sale_id)))
    response["Cache-Control"] = "no-store"
    return response


@seller_api
@require_POST
def cancel(request: HttpRequest, access: Access, sale_id: uuid.UUID) -> JsonResponse:
    """The fan did not pay: the order and the sale are cancelled (nothing sold)."""
    try:
        sale = phone_pay.phone_sale_cancel(sale=_sale(access, sale_id), by=access.by)
    except TableError as exc:
        return JsonResponse({"error": "sale", "message": str(exc)}, status=409)
    return JsonResponse(phone_pay.phone_sale_status(sale=sale))


@never_cache
@require_safe
def pay(request: HttpRequest, sale_id: uuid.UUID) -> HttpResponse:
    """What the QR code opens on the fan's phone: the provider's page while the sale
    waits for its payment; else how it stands (the sale's id is the key: it only lets
    someone pay for it)."""
    sale = (
        Sale.objects.filter(pk=sale_id, payment=Sale.Payment.PHONE).select_related("artist").first()
    )
    if sale is None:
        raise Http404
    if sale.status == Sale.Status.PENDING and sale.pay_url:
        return redirect(sale.pay_url)
    return render(request, "table/pay.html", {"sale": sale, "artist": sale.artist})
