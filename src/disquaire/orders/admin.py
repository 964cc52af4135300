"""The band's view of orders until the backstage dashboard exists: read-only rows,
state changes only through the services (each audited)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from disquaire.orders.models import Order, OrderLine, OrderState, Payment
from disquaire.orders.services import (
    OrderError,
    order_fulfil,
    payment_manual_mark_paid,
    payment_refund,
)


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "title",
        "option_label",
        "quantity",
        "unit_price_minor",
        "total_minor",
        "edition_numbers",
    )


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "provider",
        "state",
        "amount_minor",
        "refunded_minor",
        "confirmed_at",
    )


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["code", "artist", "email", "state", "total_minor", "currency", "created_at"]
    list_filter = ["state", "needs_attention", "artist"]
    search_fields = ["code", "email"]
    readonly_fields = [
        *(f.name for f in Order._meta.get_fields() if f.concrete and not f.many_to_many),
        "audit_trail",
    ]
    inlines = [OrderLineInline, PaymentInline]
    actions = ["mark_paid_manual", "mark_fulfilled", "refund"]

    @admin.display(description=_("audit log"))
    def audit_trail(self, order: Order) -> SafeString:
        """The order's entries in the one audit log, oldest first."""
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td><td>{}</td></tr>",
            (
                (
                    f"{e.created_at:%Y-%m-%d %H:%M:%S}",
                    e.actor,
                    e.action,
                    (e.before or {}).get("state", ""),
                    (e.after or {}).get("state", ""),
                    e.after,
                )
                for e in order.audit_entries
            ),
        )
        return format_html("<table>{}</table>", rows)

    def _actor(self, request: HttpRequest) -> str:
        return str(getattr(request.user, "email", "") or request.user)

    @admin.action(description=_("Mark bank transfer received"))
    def mark_paid_manual(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        for order in queryset:
            payment = order.payments.filter(provider="manual").order_by("-created_at").first()
            if payment is None:
                messages.error(request, _("%(code)s has no bank transfer.") % {"code": order.code})
                continue
            payment_manual_mark_paid(payment=payment, actor=self._actor(request))

    @admin.action(description=_("Mark shipped / fulfilled"))
    def mark_fulfilled(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        for order in queryset.filter(state=OrderState.PAID):
            order_fulfil(order=order, actor=self._actor(request))

    @admin.action(description=_("Refund in full"))
    def refund(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        for order in queryset:
            payment = order.payments.filter(state="confirmed").first()
            if payment is None:
                continue
            try:
                payment_refund(
                    payment=payment, reason="refunded by the band", actor=self._actor(request)
                )
            except OrderError as exc:
                messages.error(request, str(exc))
