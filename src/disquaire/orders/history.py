"""An order's history (its entries in the one audit log) told in words, for the band
(``order.create → pending (buyer)`` becomes "Order placed by the fan")."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disquaire.core.models import ActivityEntry
from disquaire.core.money import Money, MoneyError

# What each action of the audit log says; %(amount)s and %(provider)s filled in when known.
ACTIONS: dict[str, Any] = {
    "order.create": gettext_lazy("Order placed"),
    "order.paid": gettext_lazy("Order paid"),
    "order.fulfil": gettext_lazy("Marked shipped"),
    "order.collect": gettext_lazy("Collected by the fan"),
    "order.expire": gettext_lazy("Not paid in time: the items went back on sale"),
    "order.cancel": gettext_lazy("Order cancelled"),
    "order.sold_out_after_expiry": gettext_lazy(
        "Paid after its hold ran out, when the items were gone: cancelled"
    ),
    "order.refund": gettext_lazy("Order fully refunded"),
    "order.flag": gettext_lazy("Flagged for your attention"),
    "payment.create": gettext_lazy("Payment of %(amount)s started (%(provider)s)"),
    "payment.start": gettext_lazy("The fan went to pay (%(provider)s)"),
    "payment.confirm": gettext_lazy("Payment received (%(provider)s)"),
    "payment.failed": gettext_lazy("Payment refused (%(provider)s)"),
    "payment.canceled": gettext_lazy("Payment abandoned (%(provider)s)"),
    "payment.refund": gettext_lazy("Payment fully refunded"),
    "refund.request": gettext_lazy("Refund of %(amount)s asked for"),
    "refund.pending": gettext_lazy("Refund of %(amount)s waiting for the provider"),
    "refund.done": gettext_lazy("Refund of %(amount)s made"),
    "refund.manual": gettext_lazy("Refund of %(amount)s to make by hand"),
    "refund.failed": gettext_lazy("Refund of %(amount)s refused by the provider"),
}

PROVIDERS: dict[str, Any] = {
    "stripe": gettext_lazy("card, Stripe"),
    "manual": gettext_lazy("bank transfer"),
    "cash": gettext_lazy("cash on collection"),
    "test": gettext_lazy("test payment"),
    "free": gettext_lazy("free"),
}


def audit_actor_words(actor: str) -> str:
    """Who did it: the fan, the payment service, the shop itself, or a member's e-mail."""
    if actor == "buyer":
        return _("the fan")
    if actor in ("system", ""):
        return _("automatically")
    if actor.startswith("backstage:"):
        return actor.removeprefix("backstage:")
    if actor in ("provider", "stripe") or actor.endswith("provider"):
        return _("the payment service")
    return actor


def audit_entry_data(entry: ActivityEntry) -> dict[str, Any]:
    """What a step of an order's history said besides the states (amount, reason...)."""
    return {k: v for k, v in (entry.after or {}).items() if k != "state"}


def audit_entry_words(entry: ActivityEntry, *, currency: str, provider: str = "") -> str:
    """One line of the history, in the active language. ``provider``: the payment's."""
    data = audit_entry_data(entry)
    minor = data.get("amount_minor", data.get("total_minor"))
    try:
        amount = Money(int(minor), currency).format() if minor is not None else ""
    except (MoneyError, TypeError, ValueError):
        amount = ""
    provider = str(data.get("provider") or provider)
    template = ACTIONS.get(entry.action)
    if template is None:
        return entry.action
    text = str(template) % {
        "amount": amount,
        "provider": str(PROVIDERS.get(provider, provider)),
    }
    if entry.action == "order.create" and amount:
        text = _("Order of %(amount)s placed") % {"amount": amount}
    reason = data.get("reason") or data.get("note") or data.get("error")
    if reason and entry.action not in ("order.create",):
        text += f" — {reason}"
    return text


def order_history(order: Any, *, payments: list[Any] | None = None) -> list[dict[str, Any]]:
    """The order's audit log, oldest first, each entry with ``when``, ``what``, ``who``.

    ``payments``: the order's payments with their refunds prefetched, when the caller
    has them already (read once here otherwise)."""
    if payments is None:
        payments = list(order.payments.prefetch_related("refunds"))
    providers = {str(p.pk): p.provider for p in payments}
    refunds_payment = {}
    for payment in payments:
        for refund in payment.refunds.all():
            refunds_payment[str(refund.pk)] = payment.provider
    rows = []
    for entry in order.audit_entries:
        provider = ""
        if entry.object_type == "payment":
            provider = providers.get(entry.object_id, "")
        elif entry.object_type == "refund":
            provider = refunds_payment.get(entry.object_id, "")
        rows.append(
            {
                "when": entry.created_at,
                "what": audit_entry_words(entry, currency=order.currency, provider=provider),
                "who": audit_actor_words(entry.actor),
            }
        )
    return rows
