"""What each e-mail to the band's members says: a new order, a payment problem, a
refund, the daily summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from disquaire.backstage.desk import day_bounds, desk_figures, desk_todo_counts
from disquaire.backstage.models import MemberEmailKind
from disquaire.catalog.models import Artist
from disquaire.core.money import Money
from disquaire.fans.follow_selectors import followers_confirmed_count
from disquaire.orders.history import audit_entry_data
from disquaire.orders.models import Order, OrderState, Payment, Refund
from disquaire.orders.selectors import order_is_test, order_lines


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


def _url(path: str) -> str:
    return settings.SITE_URL + path


def _order_url(order: Order) -> str:
    kwargs = {"artist": order.artist.slug, "code": order.code}
    return _url(reverse("backstage:order", kwargs=kwargs))


def _desk_url(artist: Artist) -> str:
    return _url(reverse("backstage:desk", kwargs={"artist": artist.slug}))


def _settings_url(artist: Artist) -> str:
    return _url(reverse("backstage:member_emails", kwargs={"artist": artist.slug}))


def _render(template: str, subject: str, context: dict[str, Any]) -> Mail:
    body = render_to_string(template, context)
    return Mail(subject=subject, body=body)


def _new_order(order: Order) -> Callable[[], Mail]:
    def build() -> Mail:
        lines = list(order_lines(order))
        to_post = [line for line in lines if line.ships]
        total = Money(order.total_minor, order.currency).format()
        if to_post and order.is_pickup:
            subject = _("New order %(code)s to prepare for pick-up: %(total)s") % {
                "code": order.code,
                "total": total,
            }
        elif to_post:
            subject = _("New order %(code)s to post: %(total)s") % {
                "code": order.code,
                "total": total,
            }
        else:
            subject = _("New order %(code)s: %(total)s") % {"code": order.code, "total": total}
        return _render(
            "backstage/emails/member_new_order.txt",
            subject,
            {
                "order": order,
                "artist": order.artist,
                "lines": lines,
                "to_post": to_post,
                "pickup": order.is_pickup,
                "cash_due": order.state == OrderState.PENDING,
                "total": total,
                "shipping": Money(order.shipping_minor, order.currency).format(),
                "order_url": _order_url(order),
                "desk_url": _desk_url(order.artist),
                "settings_url": _settings_url(order.artist),
            },
        )

    return build


def _payment_failed(payment: Payment) -> Callable[[], Mail]:
    order = payment.order

    def build() -> Mail:
        return _render(
            "backstage/emails/member_payment_problem.txt",
            _("A payment for order %(code)s failed") % {"code": order.code},
            {
                "order": order,
                "payment": payment,
                "amount": Money(payment.amount_minor, payment.currency).format(),
                "reason": str(payment_failure_reason(payment)),
                "order_url": _order_url(order),
                "settings_url": _settings_url(order.artist),
            },
        )

    return build


def payment_failure_reason(payment: Payment) -> str:
    """The reason the provider gave, as recorded in the audit log ("" if none)."""
    entry = (
        payment.order.audit_entries.filter(
            object_type="payment", object_id=str(payment.pk), action="payment.failed"
        )
        .order_by("-pk")
        .first()
    )
    return str(audit_entry_data(entry).get("reason", "")) if entry else ""


def _order_flagged(order: Order) -> Callable[[], Mail]:
    def build() -> Mail:
        return _render(
            "backstage/emails/member_payment_problem.txt",
            _("Order %(code)s needs your attention") % {"code": order.code},
            {
                "order": order,
                "flagged": True,
                "note": order.attention_note.strip(),
                "order_url": _order_url(order),
                "settings_url": _settings_url(order.artist),
            },
        )

    return build


def _refund(refund: Refund) -> Callable[[], Mail]:
    payment = refund.payment
    order = payment.order

    def build() -> Mail:
        amount = Money(refund.amount_minor, payment.currency).format()
        return _render(
            "backstage/emails/member_refund.txt",
            _("Order %(code)s: %(amount)s refunded") % {"code": order.code, "amount": amount},
            {
                "order": order,
                "refund": refund,
                "amount": amount,
                "whole": order.state == OrderState.REFUNDED,
                "order_url": _order_url(order),
                "settings_url": _settings_url(order.artist),
            },
        )

    return build


def _summary(artist: Artist, day: date) -> Callable[[], Mail | None]:
    """Yesterday's figures and what is left to do; None on a day with nothing to tell."""

    def build() -> Mail | None:
        figures = desk_figures(artist=artist, start=day, end=day)
        todo = desk_todo_counts(artist=artist)
        start, end = day_bounds(day)
        followers = followers_confirmed_count(artist=artist, start=start, end=end)
        if not (figures.orders or figures.plays or followers or any(todo.values())):
            return None
        return _render(
            "backstage/emails/member_daily_summary.txt",
            _("%(artist)s on %(day)s: %(orders)s orders, %(revenue)s")
            % {
                "artist": artist.name,
                "day": _date_words(day),
                "orders": figures.orders,
                "revenue": figures.revenue.format(),
            },
            {
                "artist": artist,
                "day": day,
                "figures": figures,
                "revenue": figures.revenue.format(),
                "followers": followers,
                "todo": todo,
                "desk_url": _desk_url(artist),
                "settings_url": _settings_url(artist),
            },
        )

    return build


def _date_words(day: date) -> str:
    from django.utils.formats import date_format

    return date_format(day, "DATE_FORMAT")


@dataclass(frozen=True)
class Event:
    artist: Artist
    build: Callable[[], Mail | None]


def event_for(kind: str, key: str, object_id: int | None, artist_id: int) -> Event | None:
    """What to tell about (kind, key), or None when there is nothing (any more) to tell:
    a test order, an order gone back to pending, a vanished object."""
    pk = object_id or 0
    if kind == MemberEmailKind.NEW_ORDER:
        order = Order.objects.select_related("artist").filter(pk=pk).first()
        # A pick-up to be paid in cash is news as soon as it is placed: the band
        # prepares it before the fan comes (the same key: told once, not again when paid).
        awaiting_cash = (
            order is not None
            and order.state == OrderState.PENDING
            and order.is_pickup
            and order.payments.filter(provider="cash").exists()
        )
        if order is None or (
            order.state not in (OrderState.PAID, OrderState.FULFILLED) and not awaiting_cash
        ):
            return None
        if order_is_test(order):
            return None
        # A free download is news for the daily summary, not an e-mail each.
        if order.total_minor == 0 and not order.ships:
            return None
        return Event(order.artist, _new_order(order))
    if kind == MemberEmailKind.PAYMENT_PROBLEM:
        if key.startswith("payment-"):
            payment = Payment.objects.select_related("order__artist").filter(pk=pk).first()
            if payment is None or order_is_test(payment.order):
                return None
            return Event(payment.order.artist, _payment_failed(payment))
        order = Order.objects.select_related("artist").filter(pk=pk).first()
        if order is None or order_is_test(order):
            return None
        return Event(order.artist, _order_flagged(order))
    if kind == MemberEmailKind.REFUND:
        refund = Refund.objects.select_related("payment__order__artist").filter(pk=pk).first()
        if refund is None or order_is_test(refund.payment.order):
            return None
        return Event(refund.payment.order.artist, _refund(refund))
    if kind == MemberEmailKind.DAILY_SUMMARY:
        artist = Artist.objects.filter(pk=artist_id).first()
        if artist is None:
            return None
        return Event(artist, _summary(artist, date.fromisoformat(key.removeprefix("summary-"))))
    raise ValueError(f"unknown member e-mail kind {kind!r}")
