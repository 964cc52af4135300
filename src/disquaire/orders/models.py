"""Orders, their lines, stock reservations, payments, refunds; the older audit table.

States change only through the services in ``orders.services``; the tables below say
which changes exist.
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import Artist, Release, Track
from disquaire.core.models import ActivityEntry
from disquaire.selling.models import Offer, OfferOption
from disquaire.stock.models import Item

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone


def order_code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def order_secret_new() -> str:
    return secrets.token_urlsafe(24)


class OrderState(models.TextChoices):
    PENDING = "pending", _("awaiting payment")
    PAID = "paid", _("paid")
    FULFILLED = "fulfilled", _("fulfilled")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("cancelled")
    REFUNDED = "refunded", _("refunded")


# from -> states it may move to. Expired may still become paid: a payment that arrives
# late is kept when the units are still there (see payment_confirm).
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderState.PENDING: frozenset({OrderState.PAID, OrderState.EXPIRED, OrderState.CANCELLED}),
    OrderState.EXPIRED: frozenset({OrderState.PAID, OrderState.CANCELLED}),
    OrderState.PAID: frozenset({OrderState.FULFILLED, OrderState.REFUNDED}),
    OrderState.FULFILLED: frozenset({OrderState.REFUNDED}),
    OrderState.CANCELLED: frozenset(),
    OrderState.REFUNDED: frozenset(),
}


class Delivery(models.TextChoices):
    """How the physical items reach the buyer (an order with none keeps the default)."""

    SHIP = "ship", _("shipped")
    PICKUP = "pickup", _("local pick-up")


class PaymentState(models.TextChoices):
    CREATED = "created", _("created")
    PENDING = "pending", _("pending")
    CONFIRMED = "confirmed", _("confirmed")
    FAILED = "failed", _("failed")
    CANCELED = "canceled", _("canceled")
    REFUNDED = "refunded", _("refunded")


PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentState.CREATED: frozenset(
        {PaymentState.PENDING, PaymentState.CONFIRMED, PaymentState.FAILED, PaymentState.CANCELED}
    ),
    PaymentState.PENDING: frozenset(
        {PaymentState.CONFIRMED, PaymentState.FAILED, PaymentState.CANCELED}
    ),
    # A provider may still report success after we gave up waiting (an expired session
    # whose payment went through): the money is real, so confirmation stays possible.
    PaymentState.FAILED: frozenset({PaymentState.CONFIRMED}),
    PaymentState.CANCELED: frozenset({PaymentState.CONFIRMED}),
    PaymentState.CONFIRMED: frozenset({PaymentState.REFUNDED}),
    PaymentState.REFUNDED: frozenset(),
}


class Order(models.Model):
    """One buyer's purchase from one artist, in that artist's currency."""

    code = models.CharField(max_length=12, unique=True, default=order_code_new, editable=False)
    secret = models.CharField(max_length=40, default=order_secret_new, editable=False)
    artist = models.ForeignKey(Artist, on_delete=models.PROTECT, related_name="orders")
    currency = models.CharField(max_length=3)
    email = models.EmailField(_("email"))
    state = models.CharField(
        _("state"), max_length=10, choices=OrderState.choices, default=OrderState.PENDING
    )
    items_minor = models.PositiveIntegerField(default=0)
    shipping_minor = models.PositiveIntegerField(default=0)
    # Store credit the buyer spent on it (fans.referrals): total = items + shipping - credit,
    # and the payment is for the total, so a refund gives back only what was paid.
    credit_minor = models.PositiveIntegerField(default=0, db_default=0)
    total_minor = models.PositiveIntegerField(default=0)
    vat_note = models.CharField(max_length=300, blank=True)
    ship_name = models.CharField(_("name"), max_length=200, blank=True)
    ship_address = models.TextField(_("address"), blank=True)
    ship_postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    ship_city = models.CharField(_("city"), max_length=120, blank=True)
    ship_country = models.CharField(_("country"), max_length=2, blank=True)
    mailing_list_opt_in = models.BooleanField(default=False)
    language = models.CharField(max_length=8, blank=True)
    # Set when a person must act (a refund the provider could not make).
    needs_attention = models.BooleanField(default=False)
    attention_note = models.TextField(blank=True)
    # The receipt task claims the order by setting receipt_sent_at, so it is sent once.
    # A failed sending is tried again by the periodic receipts_retry, with growing waits.
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    receipt_error = models.TextField(blank=True)
    receipt_attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    receipt_tried_at = models.DateTimeField(null=True, blank=True)
    # The pick-up mail of a cash order to collect, claimed the same way (sent once); a
    # failed sending is tried again by the periodic pickups_retry.
    pickup_mail_sent_at = models.DateTimeField(null=True, blank=True)
    pickup_mail_attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    # Where the buyer came from, for the band's stats: the first external Referer of the
    # visit and the ``?ref=`` campaign tag it carried (see shop.middleware).
    referrer = models.CharField(_("referrer"), max_length=200, blank=True)
    campaign = models.CharField(_("campaign"), max_length=60, blank=True)
    delivery = models.CharField(
        _("delivery"),
        max_length=10,
        choices=Delivery.choices,
        default=Delivery.SHIP,
        db_default=Delivery.SHIP,
    )
    # The band's pick-up place and times as they were when the order was placed.
    pickup_place = models.TextField(_("pick-up place"), blank=True, default="", db_default="")
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    # Paid in the artist's test mode (or with Stripe test keys): no money moved. Marked
    # on every page and mail, left out of stats, revenue and exports, deletable at once.
    is_test = models.BooleanField(_("test order"), default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["state", "expires_at"]),
            # The periodic receipts_retry looks only at paid orders still without one.
            models.Index(
                fields=["paid_at"],
                condition=models.Q(receipt_sent_at__isnull=True, paid_at__isnull=False),
                name="order_receipt_missing",
            ),
        ]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return self.code

    @property
    def audit_entries(self) -> QuerySet[ActivityEntry]:
        """The order's history in the one audit log (``core.audit``), oldest first."""
        return ActivityEntry.objects.filter(order_id=self.pk).order_by("created_at", "pk")

    @property
    def ships(self) -> bool:
        return any(line.ships for line in self.lines.all())

    @property
    def is_pickup(self) -> bool:
        return self.delivery == Delivery.PICKUP


class OrderLine(models.Model):
    """One offer in an order, with the price and title as they were when bought."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="order_lines")
    option = models.ForeignKey(
        OfferOption, on_delete=models.PROTECT, null=True, blank=True, related_name="order_lines"
    )
    release = models.ForeignKey(
        Release, on_delete=models.SET_NULL, null=True, blank=True, related_name="order_lines"
    )
    track = models.ForeignKey(
        Track, on_delete=models.SET_NULL, null=True, blank=True, related_name="order_lines"
    )
    title = models.CharField(max_length=300)
    option_label = models.CharField(max_length=60, blank=True)
    quantity = models.PositiveSmallIntegerField(default=1)
    unit_price_minor = models.PositiveIntegerField()
    total_minor = models.PositiveIntegerField()
    ships = models.BooleanField(default=False)
    includes_download = models.BooleanField(default=False)
    edition_numbers = models.JSONField(default=list, blank=True)

    class Meta:
        ordering: ClassVar = ["order_id", "pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"


class Reservation(models.Model):
    """Units of an offer (or option) held for an order line until it is paid or expires."""

    class State(models.TextChoices):
        ACTIVE = "active", _("held")
        CONSUMED = "consumed", _("sold")
        RELEASED = "released", _("released")

    line = models.OneToOneField(OrderLine, on_delete=models.CASCADE, related_name="reservation")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="reservations")
    option = models.ForeignKey(
        OfferOption, on_delete=models.PROTECT, null=True, blank=True, related_name="reservations"
    )
    quantity = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["offer", "state", "expires_at"]),
            models.Index(fields=["state", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.offer} ({self.state})"


class EditionCounter(models.Model):
    """How many numbers of a numbered offer have been handed out.

    A row of its own rather than a column of the offer: buyers being numbered queue on
    it, not on the offer row that checkouts lock to count what is left.
    """

    offer = models.OneToOneField(
        Offer, on_delete=models.CASCADE, primary_key=True, related_name="edition_counter"
    )
    issued = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.offer}: {self.issued}"


class ItemEditionCounter(models.Model):
    """How many numbers of a numbered stock item have been handed out, whichever offer
    sold them (the CD alone and the bundle share the numbers 1..N of the one CD)."""

    item = models.OneToOneField(
        Item, on_delete=models.CASCADE, primary_key=True, related_name="edition_counter"
    )
    issued = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.item}: {self.issued}"


class EditionUnit(models.Model):
    """One numbered unit: the database itself refuses a number handed out twice — per
    offer, and per stock item when the number is the item's."""

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="edition_units")
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, null=True, blank=True, related_name="edition_units"
    )
    number = models.PositiveIntegerField()
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="edition_units")

    class Meta:
        ordering: ClassVar = ["offer_id", "number"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["offer", "number"],
                condition=models.Q(item__isnull=True),
                name="edition_number_unique",
            ),
            models.UniqueConstraint(
                fields=["item", "number"],
                condition=models.Q(item__isnull=False),
                name="edition_item_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer} #{self.number}"


class Payment(models.Model):
    """One attempt to pay an order through one provider."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=20)
    state = models.CharField(
        max_length=10, choices=PaymentState.choices, default=PaymentState.CREATED
    )
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    # The provider's id for it (a Stripe Checkout Session id), and what it told us.
    provider_ref = models.CharField(max_length=200, blank=True, db_index=True)
    provider_data = models.JSONField(default=dict, blank=True)
    refunded_minor = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.provider} {self.pk} ({self.state})"


class Refund(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("to be made")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        MANUAL = "manual", _("to be done by the band")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=State.choices)
    provider_ref = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"refund {self.amount_minor} of {self.payment_id}"


class AuditEntry(models.Model):
    """The older audit table, read-only: nothing writes here any more. Orders' history
    moved to ``core.ActivityEntry`` (migration ``orders.0012``); the few lines that named
    no order (from before the one log) stay here to be read in the admin."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=60)
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, null=True, blank=True, related_name="legacy_audit_entries"
    )
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"
