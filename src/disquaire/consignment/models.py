"""Records left in shops on consignment: the shops, what each sold and what it owes.

Where the records are is the stock ledger's business (``stock``): placing, a sale the
shop reports, a return are movements to, from or out of the shop's own ``Place``. This
room keeps what the ledger does not: the shop's contact and terms, the price and the
band's share of each sale, the statements and their payments, the private link.
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import Artist
from disquaire.stock.models import Item, Movement, Place


def link_key_new() -> str:
    return secrets.token_urlsafe(18)


class ShareKind(models.TextChoices):
    COMMISSION = "commission", _("commission: the shop keeps a percentage of the price")
    FIXED = "fixed", _("fixed amount per unit to the band")


class Shop(models.Model):
    """A record shop that sells the band's records on consignment."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="consignment_shops")
    place = models.OneToOneField(Place, on_delete=models.PROTECT, related_name="consignment_shop")
    name = models.CharField(_("name"), max_length=200)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    town = models.CharField(_("town"), max_length=120, blank=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO code, e.g. FR")
    )
    website = models.URLField(_("website"), blank=True)
    map_url = models.URLField(_("map link"), blank=True)
    public = models.BooleanField(
        _("show on the public pages"),
        default=False,
        db_default=False,
        help_text=_("Listed under “Where to buy in person” on the releases it carries."),
    )
    notes = models.TextField(_("notes"), blank=True)
    # The shop's terms: what the band gets for each unit sold.
    share_kind = models.CharField(
        _("band's share"),
        max_length=12,
        choices=ShareKind.choices,
        default=ShareKind.COMMISSION,
        db_default=ShareKind.COMMISSION,
    )
    commission_bp = models.PositiveIntegerField(
        _("commission (hundredths of a percent)"),
        default=3000,
        db_default=3000,
        validators=[MaxValueValidator(10000)],
    )
    tier_from_minor = models.PositiveIntegerField(
        _("second tier from price (minor units)"), null=True, blank=True
    )
    tier_commission_bp = models.PositiveIntegerField(
        _("second tier commission (hundredths of a percent)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(10000)],
    )
    fixed_minor = models.PositiveIntegerField(
        _("fixed amount per unit (minor units)"), default=0, db_default=0
    )
    # The private link: its token carries this key; a new key revokes every older link.
    link_key = models.CharField(max_length=40, default=link_key_new)
    link_active = models.BooleanField(default=True, db_default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["name", "pk"]
        verbose_name = _("shop")
        verbose_name_plural = _("shops")

    def __str__(self) -> str:
        return self.name


class Consignment(models.Model):
    """An item a shop carries, with the public price it sells it at."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="consignments")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="consignments")
    price_minor = models.PositiveIntegerField(_("shop's price"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["shop", "item__name", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["shop", "item"], name="consignment_one_per_item")
        ]
        verbose_name = _("consignment")
        verbose_name_plural = _("consignments")

    def __str__(self) -> str:
        return f"{self.item} @ {self.shop}"


class ReportSource(models.TextChoices):
    BAND = "band", _("the band")
    SHOP = "shop", _("the shop (private link)")


class ReportKind(models.TextChoices):
    SALES = "sales", _("sales reported")
    COUNT = "count", _("units counted")


class Report(models.Model):
    """One report of a shop: sales it declares, or a count of what is left."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=8, choices=ReportKind.choices)
    source = models.CharField(max_length=8, choices=ReportSource.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return f"{self.shop} {self.kind} {self.created_at:%Y-%m-%d}"


class Statement(models.Model):
    """What a shop owes the band for the sales of a period, and what it has paid."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="statements")
    number = models.PositiveIntegerField()
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    currency = models.CharField(max_length=3)
    units = models.PositiveIntegerField(default=0, db_default=0)
    sales_minor = models.PositiveIntegerField(default=0, db_default=0)
    due_minor = models.PositiveIntegerField(default=0, db_default=0)
    paid_minor = models.PositiveIntegerField(default=0, db_default=0)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    paid_method = models.CharField(_("payment method"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-period_end", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["shop", "number"], name="statement_number_per_shop")
        ]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")

    def __str__(self) -> str:
        return f"{self.shop} #{self.number}"

    @property
    def balance_minor(self) -> int:
        return self.due_minor - self.paid_minor

    @property
    def is_paid(self) -> bool:
        return self.paid_minor >= self.due_minor


class Sale(models.Model):
    """Units of an item a shop sold, at the price and band's share of that day."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="sales")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="consignment_sales")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="sales")
    movement = models.OneToOneField(Movement, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    price_minor = models.PositiveIntegerField()
    share_minor = models.PositiveIntegerField(help_text=_("the band's share of one unit"))
    statement = models.ForeignKey(
        Statement, on_delete=models.SET_NULL, null=True, blank=True, related_name="sales"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]
        verbose_name = _("sale")
        verbose_name_plural = _("sales")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item} @ {self.shop}"


class Reminder(models.Model):
    """A reminder sent to the band: ``days`` since the shop's last report or settlement
    (``since``). One per shop, threshold and quiet spell, so each is sent once."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="reminders")
    days = models.PositiveSmallIntegerField()
    since = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-sent_at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["shop", "days", "since"], name="reminder_once")
        ]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")

    def __str__(self) -> str:
        return f"{self.shop}: {self.days} days since {self.since}"
