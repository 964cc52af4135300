"""Orders: search and filters, one order's story, the band's actions, packing list, CSV."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disquaire.backstage import selectors
from disquaire.backstage.services import orders as order_services
from disquaire.backstage.views.common import actor_of, paged, require_post_for_members
from disquaire.catalog.models import Artist
from disquaire.core.exporters import exporter_response
from disquaire.orders.errors import OrderError
from disquaire.orders.history import order_history
from disquaire.orders.models import Order, OrderLine, OrderState, PaymentState, Refund
from disquaire.orders.refunds import payment_refund
from disquaire.orders.selectors import order_is_test
from disquaire.orders.services import (
    RECEIPT_MAX_ATTEMPTS,
    order_collect,
    order_collect_cash,
    payment_manual_mark_paid,
)


def _filtered(
    request: HttpRequest, artist: Artist, *, export: bool = False
) -> tuple[Any, dict[str, str]]:
    """The orders of the list's search and filters. The list shows test orders (marked)
    unless asked not to; an export leaves them out unless asked for them."""
    params = {
        "q": request.GET.get("q", "")[:100],
        "state": request.GET.get("state", ""),
        "ships": request.GET.get("ships", ""),
        "attention": request.GET.get("attention", ""),
        "test": request.GET.get("test", ""),
    }
    if params["state"] not in OrderState.values:
        params["state"] = ""
    if params["test"] not in ("yes", "no"):
        params["test"] = "" if not export else "no"
    orders = selectors.orders_for_artist(
        artist=artist,
        query=params["q"],
        state=params["state"],
        ships={"yes": True, "no": False}.get(params["ships"]),
        attention=bool(params["attention"]),
        test={"yes": True, "no": False}.get(params["test"]),
    )
    return orders, params


@login_required
def orders(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    found, params = _filtered(request, obj)
    page, query = paged(request, found, 50)
    return render(
        request,
        "backstage/orders/list.html",
        {
            "artist": obj,
            "page": page,
            "params": params,
            "states": OrderState.choices,
            "query": query,
        },
    )


@login_required
def orders_export(request: HttpRequest, artist: str) -> HttpResponse:
    """The orders of the current search and filters, as CSV."""
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    found, _params = _filtered(request, obj, export=True)
    stamp = timezone.localdate().isoformat()
    return exporter_response(
        "orders",
        filename=f"{obj.slug}-orders-{stamp}.csv",
        orders=found.prefetch_related("lines"),
    )


@login_required
def packing_list(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    return render(
        request,
        "backstage/orders/packing.html",
        {"artist": obj, "orders": selectors.orders_to_pack(artist=obj)},
    )


@login_required
def order_detail(request: HttpRequest, artist: str, code: str) -> HttpResponse:
    order = selectors.order_for_member(user=request.user, slug=artist, code=code)
    lines = list(OrderLine.objects.filter(order=order).order_by("pk"))
    payments = list(order.payments.order_by("created_at").prefetch_related("refunds"))
    return render(
        request,
        "backstage/orders/detail.html",
        {
            "artist": order.artist,
            "order": order,
            "lines": lines,
            "ships": any(line.ships for line in lines),
            "payments": payments,
            "history": order_history(order, payments=payments),
            "is_test": order_is_test(order),
            "awaiting": (PaymentState.CREATED, PaymentState.PENDING),
            "confirmed": PaymentState.CONFIRMED,
            "can_ship": order.state == OrderState.PAID,
            "receipt_max_attempts": RECEIPT_MAX_ATTEMPTS,
        },
    )


def _back(request: HttpRequest, order: Order) -> HttpResponse:
    """Back to the order's page, or to the backstage page the form was on (the desk)."""
    then = request.POST.get("next", "")
    if then.startswith("/backstage/") and url_has_allowed_host_and_scheme(
        then, allowed_hosts={request.get_host()}
    ):
        return redirect(then)
    return redirect("backstage:order", artist=order.artist.slug, code=order.code)


@login_required
@require_post_for_members
def order_mark_paid(request: HttpRequest, artist: str, code: str) -> HttpResponse:
    """The bank transfer of a manual payment arrived, or the fan collected a pick-up
    order and paid in cash (then the order is paid and collected at once)."""
    order = selectors.order_for_member(user=request.user, slug=artist, code=code)
    payment = selectors.payment_for_member(
        user=request.user, slug=artist, code=code, payment_id=request.POST.get("payment") or 0
    )
    try:
        if payment.provider == "cash":
            order_collect_cash(payment=payment, actor=actor_of(request))
        else:
            payment_manual_mark_paid(payment=payment, actor=actor_of(request))
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        if payment.provider == "cash":
            messages.success(
                request, _("Order %(code)s is paid in cash and collected.") % {"code": order.code}
            )
        else:
            messages.success(request, _("The payment is recorded: the order is paid."))
    return _back(request, order)


@login_required
@require_post_for_members
def order_ship(request: HttpRequest, artist: str, code: str) -> HttpResponse:
    order = selectors.order_for_member(user=request.user, slug=artist, code=code)
    if order.is_pickup:
        # A pick-up order is collected, not posted: no tracking number, no e-mail.
        try:
            order_collect(order=order, actor=actor_of(request))
        except OrderError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("Order %(code)s is marked collected.") % {"code": order.code}
            )
        return _back(request, order)
    try:
        order_services.order_ship(
            order=order,
            tracking_number=request.POST.get("tracking_number", ""),
            actor=actor_of(request),
        )
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Order %(code)s is marked shipped; the fan gets an e-mail.") % {"code": order.code},
        )
    return _back(request, order)


REFUND_MESSAGES = {
    Refund.State.DONE: gettext_lazy("Refunded: the money is on its way back to the fan."),
    Refund.State.PENDING: gettext_lazy("The refund is pending at the payment provider."),
    Refund.State.MANUAL: gettext_lazy(
        "This payment method cannot refund by itself: give the money back yourself "
        "(the order is flagged until then)."
    ),
    Refund.State.FAILED: gettext_lazy("The provider refused the refund: the order is flagged."),
}


@login_required
@require_post_for_members
def order_refund(request: HttpRequest, artist: str, code: str) -> HttpResponse:
    order = selectors.order_for_member(user=request.user, slug=artist, code=code)
    payment = selectors.payment_for_member(
        user=request.user, slug=artist, code=code, payment_id=request.POST.get("payment") or 0
    )
    try:
        refund = payment_refund(
            payment=payment,
            reason=request.POST.get("reason", "")[:300],
            actor=actor_of(request),
        )
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        text = str(REFUND_MESSAGES[Refund.State(refund.state)])
        if refund.state == Refund.State.DONE:
            messages.success(request, text)
        else:
            messages.warning(request, text)
    return _back(request, order)
