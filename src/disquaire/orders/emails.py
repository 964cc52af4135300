"""Mail to buyers: the receipt, sent once an order is paid; the parcel's tracking; where
and when to collect a pick-up paid in cash."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from disquaire.core.money import Money
from disquaire.orders.models import Delivery, Order, OrderState, PaymentState
from disquaire.orders.selectors import (
    order_is_test,
    order_line_unlocked,
    order_lines,
    order_page_path,
)

logger = logging.getLogger(__name__)


def _receipt_context(order: Order) -> dict[str, Any]:
    """What the receipt says (in the active language): the lines with their covers, the
    amounts written for its reader, and what happens next."""
    from django.urls import NoReverseMatch, reverse

    lines = []
    bought = list(order_lines(order).select_related("track__release"))
    for line in bought:
        release = line.release or (line.track.release if line.track else None)
        cover = ""
        if release is not None and release.cover:
            try:
                cover = settings.SITE_URL + reverse(
                    "storefront:cover", kwargs={"release_id": release.pk, "width": 300}
                )
            except NoReverseMatch:
                cover = ""
        lines.append(
            {
                "line": line,
                "total": Money(line.total_minor, order.currency).format(),
                "unlocked": order_line_unlocked(line),
                "cover": cover,
                "cover_alt": (release.cover_alt or release.title) if release else "",
            }
        )
    payment = order.payments.order_by("-created_at").first()
    return {
        "order": order,
        "artist": order.artist,
        "lines": lines,
        "items": Money(order.items_minor, order.currency).format(),
        "shipping": Money(order.shipping_minor, order.currency).format(),
        "total": Money(order.total_minor, order.currency).format(),
        "order_url": settings.SITE_URL + order_page_path(order),
        "ships": any(line.ships for line in bought),
        "downloads": any(item["unlocked"] for item in lines),
        "pre_orders": any(
            line.includes_download and not order_line_unlocked(line) for line in bought
        ),
        "is_test": order_is_test(order),
        "paid_with": payment.provider if payment is not None else "",
        "bank": _bank_for(order),
    }


def _test_mark(order: Order) -> str:
    """A test order's mails say so first: nobody should post a parcel for one."""
    return "[" + _("TEST") + "] " if order.is_test else ""


def _bank_for(order: Order) -> object:
    """The band's bank details when the order was paid by transfer (for the record)."""
    from disquaire.payments.selectors import payment_settings_for

    if not order.payments.filter(provider="manual", state=PaymentState.CONFIRMED).exists():
        return None
    bank = payment_settings_for(order.artist_id)
    return bank if bank.bank_ready else None


def order_receipt_send(*, order: Order) -> None:
    """Send the receipt of a paid order (HTML and plain text), in the buyer's language."""
    with translation.override(order.language or settings.LANGUAGE_CODE):
        context = _receipt_context(order)
        subject = _test_mark(order) + _("Your order %(code)s from %(artist)s") % {
            "code": order.code,
            "artist": order.artist.name,
        }
        text = render_to_string("orders/email/receipt.txt", context)
        html = render_to_string("orders/email/receipt.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [order.email])
    message.attach_alternative(html, "text/html")
    message.send()


def order_shipped_send(*, order: Order) -> None:
    """Tell the buyer their parcel left, with its tracking number, in their language."""
    with translation.override(order.language or settings.LANGUAGE_CODE):
        context = {
            "order": order,
            "artist": order.artist,
            "lines": [line for line in order_lines(order) if line.ships],
            "order_url": settings.SITE_URL + order_page_path(order),
        }
        subject = _test_mark(order) + _("Your order %(code)s from %(artist)s has shipped") % {
            "code": order.code,
            "artist": order.artist.name,
        }
        text = render_to_string("orders/email/shipped.txt", context)
    EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [order.email]).send()


def order_pickup_send(*, order: Order) -> None:
    """Tell the buyer of a pick-up paid in cash on collection where and when to collect
    it and what to bring, in their language (sent when the order is placed)."""
    total = Money(order.total_minor, order.currency).format()
    with translation.override(order.language or settings.LANGUAGE_CODE):
        context = {
            "order": order,
            "artist": order.artist,
            "lines": list(order_lines(order)),
            "total": total,
            "code": order.code,
            "order_url": settings.SITE_URL + order_page_path(order),
        }
        subject = _test_mark(order) + _(
            "Your order %(code)s from %(artist)s: to pick up and pay in cash"
        ) % {"code": order.code, "artist": order.artist.name}
        text = render_to_string("orders/email/pickup.txt", context)
    EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [order.email]).send()


def order_pickup_enqueue(*, order_id: int) -> None:
    """Queue the pick-up mail of a cash order just placed (called after its commit)."""
    from disquaire.orders.tasks import order_pickup_task

    try:
        order_pickup_task.enqueue(order_id=order_id)
    except Exception:
        # The order stands: its page, where the buyer is sent now, says the same.
        logger.exception("pick-up e-mail for order %s not queued", order_id)


def order_pickup_send_pending(*, order_id: int) -> bool:
    """Send the pick-up mail (``order_pickup_send``) while the order still waits for its
    buyer: one paid, cancelled or expired before the task ran is not told to come and
    pay. The order is claimed first (``pickup_mail_sent_at``), so the mail goes once
    even if its task and ``pickups_retry`` run at the same time; a failed sending gives
    the claim back and counts an attempt. True when sent."""
    claimed = Order.objects.filter(
        pk=order_id,
        state=OrderState.PENDING,
        delivery=Delivery.PICKUP,
        pickup_mail_sent_at__isnull=True,
    ).update(pickup_mail_sent_at=timezone.now())
    if not claimed:
        return False
    try:
        order_pickup_send(order=Order.objects.select_related("artist").get(pk=order_id))
    except Exception:
        logger.exception("pick-up e-mail for order %s not sent", order_id)
        Order.objects.filter(pk=order_id).update(
            pickup_mail_sent_at=None, pickup_mail_attempts=F("pickup_mail_attempts") + 1
        )
        return False
    return True


# A pick-up mail not sent (the mail server refused it, or its task was lost) is tried
# again this long after the order, then after each failure twice as long as before.
PICKUP_RETRY_FIRST = timedelta(minutes=5)
PICKUP_MAX_ATTEMPTS = 5  # 5, 10, 20, 40, 80 minutes after the order
PICKUP_RETRY_WITHIN = timedelta(days=2)


def pickups_retry(*, now: datetime | None = None) -> int:
    """Periodic job: send the pick-up mails of cash orders to collect that still have
    none, when due. Returns how many were sent."""
    now = now or timezone.now()
    candidates = (
        Order.objects.filter(
            state=OrderState.PENDING,
            delivery=Delivery.PICKUP,
            pickup_mail_sent_at__isnull=True,
            pickup_mail_attempts__lt=PICKUP_MAX_ATTEMPTS,
            payments__provider="cash",
            created_at__lte=now - PICKUP_RETRY_FIRST,
            created_at__gte=now - PICKUP_RETRY_WITHIN,
        )
        .values_list("pk", "created_at", "pickup_mail_attempts")
        .distinct()
    )
    sent = 0
    for pk, created_at, attempts in list(candidates.order_by("created_at")[:100]):
        due = created_at + PICKUP_RETRY_FIRST * 2**attempts
        if due <= now and order_pickup_send_pending(order_id=pk):
            sent += 1
    return sent
