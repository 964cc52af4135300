"""What is for sale and how it is priced: offers, their options, shipping, shop settings.

The tables keep the names they had under ``shop`` (``db_table``): the models moved, the data
did not."""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ObjectDoesNotExist
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import Artist, Release, Track
from disquaire.stock.models import Item


class ShopSettings(models.Model):
    """One artist's shop: where parcels leave from, the VAT note, local pick-up. (How fans
    pay, bank details included, is ``payments.PaymentSettings``.)"""

    artist = models.OneToOneField(Artist, on_delete=models.CASCADE, related_name="shop_settings")
    ship_from_country = models.CharField(
        _("ships from (country)"), max_length=2, blank=True, help_text=_("ISO code, e.g. FR")
    )
    vat_note = models.CharField(
        _("VAT note"),
        max_length=300,
        blank=True,
        help_text=_("Shown under totals, e.g. “Prices include 20 % VAT”."),
    )
    # Local pick-up: a fan collects the parcel from the band (no postage, no address).
    pickup_enabled = models.BooleanField(_("offer local pick-up"), default=False, db_default=False)
    pickup_place = models.TextField(
        _("pick-up place and times"),
        blank=True,
        default="",
        db_default="",
        help_text=_(
            "Where and when fans collect their order, e.g. “Rehearsal studio, 12 rue X, "
            "Nantes — Thursdays 18–20h, or at our next gig”."
        ),
    )

    class Meta:
        db_table = "shop_shopsettings"
        verbose_name = _("shop settings")
        verbose_name_plural = _("shop settings")

    def __str__(self) -> str:
        return str(self.artist)


class ShippingZone(models.Model):
    """Countries a parcel may go to, with the price of the first item and of each extra one."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="shipping_zones")
    name = models.CharField(_("name"), max_length=100)
    countries = models.JSONField(_("countries"), default=list, help_text=_("ISO codes"))
    first_item_minor = models.PositiveIntegerField(_("first item (minor units)"), default=0)
    additional_item_minor = models.PositiveIntegerField(
        _("each additional item (minor units)"), default=0
    )

    class Meta:
        db_table = "shop_shippingzone"
        ordering: ClassVar = ["artist_id", "name"]
        verbose_name = _("shipping zone")
        verbose_name_plural = _("shipping zones")

    def __str__(self) -> str:
        return f"{self.artist} — {self.name}"


class Offer(models.Model):
    """One thing for sale: a release, a track, a physical item, or a bundle of both."""

    class Kind(models.TextChoices):
        DIGITAL = "digital", _("digital release")
        TRACK = "track", _("single track")
        PHYSICAL = "physical", _("physical item")
        BUNDLE = "bundle", _("physical item with the digital release")

    class Pricing(models.TextChoices):
        FIXED = "fixed", _("fixed price")
        PWYW = "pwyw", _("name your price")
        FREE = "free", _("free for an email address")

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="offers")
    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="offers", null=True, blank=True
    )
    track = models.ForeignKey(
        Track, on_delete=models.CASCADE, related_name="offers", null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DIGITAL)
    title = models.CharField(_("title"), max_length=200)
    includes = models.TextField(
        _("what it includes"), blank=True, help_text=_("One item per line.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    pricing = models.CharField(
        _("pricing"), max_length=8, choices=Pricing.choices, default=Pricing.FIXED
    )
    price_minor = models.PositiveIntegerField(_("price (minor units)"), default=0)
    minimum_minor = models.PositiveIntegerField(_("minimum (minor units)"), default=0)
    suggested_minor = models.PositiveIntegerField(
        _("suggested amount (minor units)"), null=True, blank=True
    )
    stock = models.PositiveIntegerField(
        _("units for sale"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Empty: unlimited. With options, each option has its own stock."),
    )
    numbered = models.BooleanField(
        _("numbered edition"), default=False, help_text=_("Each unit gets its number.")
    )
    active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "shop_offer"
        ordering: ClassVar = ["artist_id", "release_id", "position", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=~models.Q(kind="track") | models.Q(track__isnull=False),
                name="offer_track_kind_has_track",
            ),
        ]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")

    def __str__(self) -> str:
        return self.title

    @property
    def numbers_issued(self) -> int:
        """Edition numbers handed out so far (kept in ``orders.EditionCounter``)."""
        try:
            return int(self.edition_counter.issued)
        except ObjectDoesNotExist:
            return 0

    @property
    def ships(self) -> bool:
        return self.kind in (self.Kind.PHYSICAL, self.Kind.BUNDLE)

    @property
    def includes_download(self) -> bool:
        return self.kind in (self.Kind.DIGITAL, self.Kind.TRACK, self.Kind.BUNDLE)

    @property
    def includes_list(self) -> list[str]:
        return [line.strip() for line in self.includes.splitlines() if line.strip()]


class OfferOption(models.Model):
    """A variant of a physical offer (a T-shirt size), each with its own stock."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("label"), max_length=60)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    stock = models.PositiveIntegerField(_("units for sale"), null=True, blank=True)

    class Meta:
        db_table = "shop_offeroption"
        ordering: ClassVar = ["offer_id", "position", "pk"]
        verbose_name = _("option")
        verbose_name_plural = _("options")

    def __str__(self) -> str:
        return f"{self.offer} — {self.label}"


class OfferItem(models.Model):
    """What one unit of an offer takes out of stock: ``quantity`` × ``item``.

    The CD offer uses 1 CD, the CD + download bundle 1 CD, the “2 CDs” deal 2: all three
    draw on the same box. A row with an ``option`` applies only when the fan chooses that
    option (the T-shirt in size M uses the item “T-shirt / M”); a row without, to every
    unit of the offer.
    """

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="item_uses")
    option = models.ForeignKey(
        OfferOption,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="item_uses",
        verbose_name=_("only with the option"),
    )
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="offer_uses", verbose_name=_("item")
    )
    quantity = models.PositiveSmallIntegerField(
        _("units per sale"), default=1, db_default=1, validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering: ClassVar = ["offer_id", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["offer", "item"],
                condition=models.Q(option__isnull=True),
                name="offer_item_unique",
            ),
            models.UniqueConstraint(
                fields=["offer", "option", "item"],
                condition=models.Q(option__isnull=False),
                name="offer_item_option_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="offer_item_quantity_positive"
            ),
        ]
        verbose_name = _("item used")
        verbose_name_plural = _("items used")

    def __str__(self) -> str:
        return f"{self.offer}: {self.quantity} × {self.item}"
