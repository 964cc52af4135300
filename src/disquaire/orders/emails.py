"""Mail to buyers: the receipt, sent once an order is paid."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from disquaire.core.money import Money
from disquaire.orders.models import Order, PaymentState
from disquaire.orders.selectors import order_line_unlocked, order_lines, order_page_path


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
        lines = [
            {
                "line": line,
                "total": Money(line.total_minor, order.currency),
                "unlocked": order_line_unlocked(line),
            }
            for line in order_lines(order)
        ]
        context = {
            "order": order,
            "artist": order.artist,
            "lines": lines,
            "items": Money(order.items_minor, order.currency),
            "shipping": Money(order.shipping_minor, order.currency),
            "total": Money(order.total_minor, order.currency),
            "order_url": settings.SITE_URL + order_page_path(order),
            "bank": _bank_for(order),
        }
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
