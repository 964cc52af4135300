"""Physical stock: items a band counts, places they sit in, the ledger of every movement
and the balance per (item, place) that the ledger sums to.

The ledger (``Movement``) is append-only: a row is never changed nor deleted (the model,
its queryset and, on PostgreSQL, a trigger refuse it); a mistake is corrected by a new
row. ``Balance`` is the running sum of the ledger per (item, place), written in the same
transaction as the rows it sums (see ``stock.services``); ``disquaire stock-check``
recomputes it from the ledger and reports any drift.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import Artist, Release
from disquaire.stock.errors import LedgerImmutable


class Item(models.Model):
    """A physical thing a band counts: “CD Marée Haute”, “T-shirt logo / M”."""

    artist = models.ForeignKey(Artist, on_delete=models.PROTECT, related_name="stock_items")
    name = models.CharField(_("name"), max_length=200)
    numbered = models.BooleanField(
        _("numbered edition"),
        default=False,
        db_default=False,
        help_text=_("Each unit sold gets its number, 1 to N, once."),
    )
    low_stock_at = models.PositiveIntegerField(
        _("warn when fewer than"),
        default=0,
        db_default=0,
        help_text=_("The stock page warns when a place holds fewer units. 0: never."),
    )
    # The release the item is a copy of (a CD, an LP): "Where to buy in person" lists the
    # shops holding one on the release's page. None for merch.
    release = models.ForeignKey(
        Release,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stock_items",
        verbose_name=_("release"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["artist_id", "name", "pk"]
        verbose_name = _("item")
        verbose_name_plural = _("items")

    def __str__(self) -> str:
        return self.name


class Place(models.Model):
    """Where units sit: home, the place the web shop ships from, the merch bag, a shop."""

    class Kind(models.TextChoices):
        HOME = "home", _("home / storage")
        SHIPPING = "shipping", _("web shop shipping")
        BAG = "bag", _("merch bag / van")
        SHOP = "shop", _("record shop")

    artist = models.ForeignKey(Artist, on_delete=models.PROTECT, related_name="stock_places")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HOME)
    is_default = models.BooleanField(
        _("default of its kind"),
        default=False,
        db_default=False,
        help_text=_(
            "The default home is where new stock arrives; the default shipping place is "
            "where the web shop sends parcels from (home when there is none)."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["artist_id", "kind", "name", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["artist", "kind"],
                condition=models.Q(is_default=True),
                name="stock_place_one_default_per_kind",
            )
        ]
        verbose_name = _("place")
        verbose_name_plural = _("places")

    def __str__(self) -> str:
        return self.name


class Reason(models.TextChoices):
    RECEIVED = "received", _("received")
    MOVED = "moved", _("moved")
    SOLD_ONLINE = "sold_online", _("sold online")
    SOLD_TABLE = "sold_table", _("sold at the merch table")
    CONSIGNED = "consigned", _("consigned to a shop")
    SOLD_BY_SHOP = "sold_by_shop", _("sold by a shop")
    RETURNED = "returned", _("returned")
    DAMAGED = "damaged", _("damaged")
    LOST = "lost", _("lost")
    COUNTED = "counted", _("count adjustment")
    RESTOCKED = "restocked", _("restocked")


class MovementQuerySet(models.QuerySet["Movement"]):
    def update(self, **kwargs: Any) -> int:
        # The one change allowed: a deleted user's name leaves the rows they wrote
        # (on_delete=SET_NULL runs through here).
        if set(kwargs) == {"actor"} and kwargs["actor"] is None:
            return super().update(**kwargs)
        raise LedgerImmutable("ledger rows are never changed: record a correcting movement")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise LedgerImmutable("ledger rows are never deleted: record a correcting movement")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise LedgerImmutable("ledger rows are never changed: record a correcting movement")


class Movement(models.Model):
    """One change of stock: ``quantity`` units of ``item`` from a place, to a place, or
    both; immutable."""

    Reason = Reason

    artist = models.ForeignKey(Artist, on_delete=models.PROTECT, related_name="stock_movements")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="movements")
    quantity = models.PositiveIntegerField(_("quantity"))
    from_place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements_out",
        verbose_name=_("from"),
    )
    to_place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements_in",
        verbose_name=_("to"),
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # What the movement belongs to: an order, a table sale, a settlement, a count.
    reference_type = models.CharField(max_length=40, blank=True, db_default="")
    reference_id = models.CharField(max_length=64, blank=True, db_default="")
    note = models.CharField(_("note"), max_length=500, blank=True, db_default="")

    objects = MovementQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [
            models.Index(fields=["artist", "item", "created_at"]),
            models.Index(fields=["reference_type", "reference_id"]),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="stock_movement_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(from_place__isnull=False) | models.Q(to_place__isnull=False),
                name="stock_movement_has_a_place",
            ),
        ]
        verbose_name = _("movement")
        verbose_name_plural = _("movements")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item_id} {self.reason}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LedgerImmutable("ledger rows are never changed: record a correcting movement")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise LedgerImmutable("ledger rows are never deleted: record a correcting movement")


class Balance(models.Model):
    """Units of an item at a place: the sum of the ledger, kept with it."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="balances")
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="balances")
    quantity = models.IntegerField(default=0, db_default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["item", "place"], name="stock_balance_unique")
        ]
        verbose_name = _("balance")
        verbose_name_plural = _("balances")

    def __str__(self) -> str:
        return f"{self.item_id}@{self.place_id}: {self.quantity}"
