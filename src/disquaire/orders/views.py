from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from disquaire.orders.models import Order, OrderState, PaymentState
from disquaire.orders.selectors import (
    order_by_code_and_secret,
    order_is_test,
    order_line_unlocked,
    order_lines,
)
from disquaire.orders.signals import order_downloads_url
from disquaire.payments.selectors import payment_settings_for


@never_cache
def order_detail_view(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    """The buyer's private order page (the receipt's link): thanks, what was bought, and
    what happens next — downloads, the parcel, or how to pay by bank transfer."""
    order = order_by_code_and_secret(code=code, secret=secret)
    if order is None:
        raise Http404
    payment = order.payments.order_by("-created_at").first()
    manual_pending = (
        payment is not None
        and payment.provider == "manual"
        and payment.state in (PaymentState.CREATED, PaymentState.PENDING)
    )
    bought = list(order_lines(order).select_related("track__release"))
    lines = [
        {
            "line": line,
            "unlocked": order_line_unlocked(line),
            "release": line.release or (line.track.release if line.track else None),
        }
        for line in bought
    ]
    downloads_url = ""
    if order.state in (OrderState.PAID, OrderState.FULFILLED):
        answers = order_downloads_url.send(sender=Order, order=order)
        downloads_url = next((str(url) for _receiver, url in answers if url), "")
    response = render(
        request,
        "orders/detail.html",
        {
            "title": _("Order %(code)s") % {"code": order.code},
            "canonical": "",
            "ld": [],
            "artist": order.artist,
            "order": order,
            "lines": lines,
            "payment": payment,
            "manual_pending": manual_pending,
            "bank": payment_settings_for(order.artist_id) if manual_pending else None,
            "returned": request.GET.get("return", ""),
            "downloads_url": downloads_url,
            "is_test": order_is_test(order),
            "ships": any(line.ships for line in bought),
            "downloads": any(line.includes_download for line in bought),
            "pre_orders": any(
                line.includes_download and not order_line_unlocked(line) for line in bought
            ),
        },
    )
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
