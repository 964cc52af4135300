"""The merch table: what is sold at gigs (table products and their prices), who sells
(band members and invited sellers), the shows, and the sales the phones send.

A sale is an event made on a phone, often without a network: its id (a UUIDv7) is made
there, with the phone's own id, sequence number and clock. The server records each sale
once whatever the number of times it is sent (the id is the primary key) and keeps the
answer it gave, so that a replay answers the same. Sales are never deleted; one the
server cannot take as is stays, flagged for the band to resolve.
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import Artist, Release
from disquaire.stock.models import Item, Place

# Short codes are typed on a phone: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def seller_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class Category(models.TextChoices):
    """What a venue's cut distinguishes."""

    MUSIC = "music", _("music")
    APPAREL = "apparel", _("apparel")
    OTHER = "other", _("other")


class TableProduct(models.Model):
    """One button on the table: an item (or a bundle of items) at the table's price."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="table_products")
    name = models.CharField(_("name"), max_length=120)
    price = models.PositiveIntegerField(_("price (minor units)"))
    category = models.CharField(
        _("category"),
        max_length=10,
        choices=Category.choices,
        default=Category.MUSIC,
        db_default=Category.MUSIC,
    )
    release = models.ForeignKey(
        Release,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("release (for its cover)"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0, db_default=0)
    # Removed products stay for the sales that name them.
    is_active = models.BooleanField(_("on the table"), default=True, db_default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["artist_id", "position", "name", "pk"]
        verbose_name = _("table product")
        verbose_name_plural = _("table products")

    def __str__(self) -> str:
        return self.name


class TableComponent(models.Model):
    """``quantity`` units of ``item`` in one ``product`` (2 for “2 CDs for 25 €”)."""

    product = models.ForeignKey(TableProduct, on_delete=models.CASCADE, related_name="components")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="table_components")
    quantity = models.PositiveSmallIntegerField(_("units"), default=1, db_default=1)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["product", "item"], name="table_component_unique"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="table_component_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item_id}"


class Seller(models.Model):
    """Who sells at the table from a phone: a band member (``user`` set), or a friend
    invited with a short code, who may sell and count for this artist and nothing else."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="table_sellers")
    name = models.CharField(_("name"), max_length=120)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # Joins once, before it expires; then the phone's session holds the seller.
    code = models.CharField(max_length=16, unique=True, default=seller_code)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["artist_id", "name", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["artist", "user"],
                condition=models.Q(user__isnull=False),
                name="table_seller_one_per_member",
            )
        ]
        verbose_name = _("seller")
        verbose_name_plural = _("sellers")

    def __str__(self) -> str:
        return self.name

    @property
    def is_member(self) -> bool:
        return self.user_id is not None


class Show(models.Model):
    """One night at the merch table: counted in, sold, counted out, closed."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    class Cut(models.TextChoices):
        NONE = "none", _("no cut")
        PERCENT = "percent", _("percentage of merch gross")
        FIXED = "fixed", _("fixed fee")

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="table_shows")
    date = models.DateField(_("date"))
    venue = models.CharField(_("venue"), max_length=200)
    town = models.CharField(_("town"), max_length=120, blank=True)
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, related_name="+", verbose_name=_("merch bag")
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    cash_float = models.PositiveIntegerField(_("cash float"), default=0, db_default=0)
    cash_counted = models.PositiveIntegerField(_("cash counted"), null=True, blank=True)
    cut = models.CharField(
        _("venue cut"), max_length=10, choices=Cut.choices, default=Cut.NONE, db_default="none"
    )
    # Basis points: 2000 = 20 %.
    cut_music_bp = models.PositiveIntegerField(default=0, db_default=0)
    cut_apparel_bp = models.PositiveIntegerField(default=0, db_default=0)
    cut_other_bp = models.PositiveIntegerField(default=0, db_default=0)
    cut_fee = models.PositiveIntegerField(default=0, db_default=0)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Opened on a phone (perhaps offline): the id of its ``open`` event, by which the
    # phone's sales and counts name the show until they learn its number.
    client_id = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        ordering: ClassVar = ["-date", "-pk"]
        verbose_name = _("show")
        verbose_name_plural = _("shows")

    def __str__(self) -> str:
        return f"{self.date} {self.venue}"


class ShowCount(models.Model):
    """What was in the bag per item when the show opened (``in``) or closed (``out``)."""

    class Stage(models.TextChoices):
        IN = "in", _("count in")
        OUT = "out", _("count out")

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="counts")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=3, choices=Stage.choices)
    quantity = models.PositiveIntegerField()
    counted_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["show", "item", "stage"], name="table_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.stage} {self.item_id}: {self.quantity}"


class Sale(models.Model):
    """One sale made on a phone; recorded once, never deleted."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        FLAGGED = "flagged", _("to resolve")
        RESOLVED = "resolved", _("resolved")
        # Paid on the fan's phone: waiting for the provider (nothing sold yet), then
        # accepted, or cancelled when the order expired or was cancelled unpaid.
        PENDING = "pending", _("waiting for payment")
        CANCELLED = "cancelled", _("cancelled")
        # Recorded by mistake: the band took it back (``sale_services.sale_void``). It
        # counts nowhere; its units went back to the bag.
        VOIDED = "voided", _("voided")

    class Payment(models.TextChoices):
        CASH = "cash", _("cash")
        CARD = "card", _("card")
        FREE = "free", _("free")
        # A SEPA transfer from the fan's banking app (EPC QR code): pending until the
        # band sees the money and marks it received.
        BANK = "bank", _("bank transfer")
        # A checkout of the shop's providers, paid on the fan's own phone (online only).
        PHONE = "phone", _("online (phone)")

    id = models.UUIDField(primary_key=True)
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="table_sales")
    show = models.ForeignKey(Show, on_delete=models.PROTECT, related_name="sales")
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="sales")
    device_id = models.UUIDField()
    device_seq = models.PositiveIntegerField()
    device_time = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    payment = models.CharField(max_length=5, choices=Payment.choices)
    total = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    tendered = models.PositiveIntegerField(null=True, blank=True)
    reference = models.CharField(max_length=80, blank=True, db_default="")
    status = models.CharField(max_length=10, choices=Status.choices)
    flags = models.JSONField(default=list, blank=True)
    resolution = models.CharField(max_length=300, blank=True, db_default="")
    resolved_at = models.DateTimeField(null=True, blank=True)
    # A bank-transfer sale waits for the band to see the money (null: pending).
    payment_received_at = models.DateTimeField(null=True, blank=True)
    payment_received_by = models.CharField(max_length=150, blank=True, db_default="")
    # What the first call answered for this sale: a replay answers the same.
    answer = models.JSONField(default=dict)
    # Paid on the fan's phone: the shop's order the provider confirms, the provider's
    # page for it, and the buyer as the phone sent it (recorded when it is paid).
    order = models.OneToOneField(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="table_sale",
    )
    pay_url = models.CharField(max_length=2000, blank=True, db_default="")
    buyer_sent = models.JSONField(default=dict, blank=True, db_default={})
    # Voided by the band: why, when, by whom (the audit log's ``by``).
    void_reason = models.CharField(max_length=300, blank=True, db_default="")
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.CharField(max_length=150, blank=True, db_default="")

    class Meta:
        ordering: ClassVar = ["device_time", "pk"]
        indexes: ClassVar = [models.Index(fields=["device_id", "device_seq"])]
        verbose_name = _("table sale")
        verbose_name_plural = _("table sales")

    def __str__(self) -> str:
        return str(self.id)


class SaleLine(models.Model):
    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        TableProduct, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # As the phone sent it: a deleted product still says what was sold.
    product_ref = models.PositiveIntegerField()
    name = models.CharField(max_length=120, blank=True)
    category = models.CharField(max_length=10, choices=Category.choices)
    quantity = models.PositiveIntegerField()
    unit_price = models.PositiveIntegerField()

    class Meta:
        ordering: ClassVar = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class ShowEvent(models.Model):
    """A show opened or counted on a phone (often offline), recorded once: its id, made on
    the phone (UUIDv7), is the primary key, and the answer given is kept for a replay.
    A count the server cannot apply as sent is kept, flagged for the band."""

    class Kind(models.TextChoices):
        OPEN = "open", _("show opened")
        COUNT_IN = "in", _("count in")
        COUNT_OUT = "out", _("count out")

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        FLAGGED = "flagged", _("to resolve")

    id = models.UUIDField(primary_key=True)
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="table_events")
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    show = models.ForeignKey(Show, on_delete=models.PROTECT, related_name="events")
    device_id = models.UUIDField()
    device_seq = models.PositiveIntegerField()
    device_time = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    # A count as the phone sent it: {item id: units}.
    counts = models.JSONField(default=dict, blank=True, db_default={})
    status = models.CharField(max_length=10, choices=Status.choices)
    flags = models.JSONField(default=list, blank=True, db_default=[])
    answer = models.JSONField(default=dict, db_default={})

    class Meta:
        ordering: ClassVar = ["device_time", "pk"]
        verbose_name = _("show event")
        verbose_name_plural = _("show events")

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


# The buyer side of a sale (download codes, address, consent): its own module.
from disquaire.table.fan_models import SaleBuyer, SaleCode  # noqa: E402, F401
