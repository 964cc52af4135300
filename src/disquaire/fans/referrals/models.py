"""Referrals and store credit: share links, referred orders, the credit ledger.

Imported by ``fans.models`` (the app's models live in both modules).

The ledger is append-only: an entry is never changed after it is written. What a fan may
spend is derived from it (``selectors.credit_balance``) — earned credit counts once its
``available_at`` is past (the band's holding period, evaluated lazily: no task needed)
and no reversal or void names it; a spend counts while its order may still be paid or is
paid, and comes back by itself when the order is cancelled, expires or is refunded.
Spending locks the fan's ``CreditAccount`` row first (lock → check → write).
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import Artist, Release

SHARE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def share_code_new() -> str:
    return "".join(secrets.choice(SHARE_ALPHABET) for _ in range(12))


class ReferralSettings(models.Model):
    """What the band gives fans who bring buyers (one row per artist; none: referrals off)."""

    artist = models.OneToOneField(
        Artist, on_delete=models.CASCADE, primary_key=True, related_name="referral_settings"
    )
    enabled = models.BooleanField(_("referral rewards on"), default=False, db_default=False)
    # Store credit: this share of each referred sale's items, in hundredths of a percent.
    credit_basis_points = models.PositiveIntegerField(
        _("store credit (% of the referred sale)"), default=0, db_default=0
    )
    # A release of the fan's choice after this many referred sales (0: no such reward).
    free_release_after = models.PositiveIntegerField(
        _("a free release after this many referred sales"), default=0, db_default=0
    )
    # Most credit one fan may earn in a calendar month (0: no cap), minor units.
    monthly_cap_minor = models.PositiveIntegerField(
        _("most credit per fan per month"), default=0, db_default=0
    )
    minimum_order_minor = models.PositiveIntegerField(
        _("minimum order for a referral to count"), default=0, db_default=0
    )
    hold_days = models.PositiveIntegerField(_("holding period (days)"), default=14, db_default=14)
    # Rewards never exceed what the referrer has spent with the band, unless unticked.
    cap_to_spent = models.BooleanField(
        _("rewards never exceed what the fan has spent with you"), default=True, db_default=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("referral settings")
        verbose_name_plural = _("referral settings")

    def __str__(self) -> str:
        return f"referrals of {self.artist_id}"

    @property
    def credit_percent(self) -> str:
        """The credit's rate as people write it ("10", "12.5")."""
        whole, part = divmod(self.credit_basis_points, 100)
        return f"{whole}.{part:02d}".rstrip("0").rstrip(".") if part else str(whole)


class ShareLink(models.Model):
    """One fan's personal link to one release (``/fans/r/<code>/``)."""

    code = models.CharField(max_length=16, unique=True, default=share_code_new)
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="share_links")
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="share_links")
    email = models.EmailField()  # normalised (delivery.selectors.email_normalise)
    created_at = models.DateTimeField(auto_now_add=True)
    visits = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["email", "release"], name="share_link_one_per_fan")
        ]

    def __str__(self) -> str:
        return self.code


class DeviceSeen(models.Model):
    """A device cookie seen with an address (at checkout, or a signed-in fan): the
    referrer's own devices, against which a buyer's device is compared."""

    email = models.EmailField(db_index=True)
    device = models.CharField(max_length=64)
    seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["email", "device"], name="device_seen_once")
        ]
        indexes: ClassVar = [models.Index(fields=["device"])]

    def __str__(self) -> str:
        return f"{self.email} {self.device[:8]}"


class Referral(models.Model):
    """A sale a fan brought: an order made through their share link (first touch, within
    30 days of the visit), or a merch-table sale where their QR code was scanned.

    Exactly one of ``order`` and ``sale_ref`` is set (a check constraint). A table sale
    is named by a generic reference (``"table:<sale id>"``): the table room sits above
    this one and tells it the sale's amount and buyer (``referral_sale_record``)."""

    class State(models.TextChoices):
        OPEN = "open", _("waiting for payment")
        COUNTED = "counted", _("counted")
        REFUSED = "refused", _("not counted")
        REVERSED = "reversed", _("reversed by a refund")
        VOIDED = "voided", _("voided by the band")

    # The order's id (orders sit below fans: no foreign key into the orders room's
    # internals is needed beyond this one).
    order = models.OneToOneField(
        "orders.Order",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="referral",
    )
    # A sale made elsewhere than the web shop (the merch table): its reference, amount
    # (minor units), currency, buyer's address and a label for the band's pages.
    sale_ref = models.CharField(max_length=64, null=True, blank=True, unique=True)
    sale_minor = models.PositiveIntegerField(default=0, db_default=0)
    sale_currency = models.CharField(max_length=3, blank=True, db_default="")
    sale_label = models.CharField(max_length=200, blank=True, db_default="")
    buyer_email = models.EmailField(blank=True, db_default="")
    # Kept when the link's release is deleted (the referrer's address stays below).
    link = models.ForeignKey(
        ShareLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals"
    )
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="referrals")
    referrer_email = models.EmailField(db_index=True)
    # Where it came from: "link" (a share link) or "table" (a QR code scanned at the
    # merch table: the table app calls referral_sale_record; ``visited_at`` is the sync).
    source = models.CharField(max_length=10, default="link", db_default="link")
    visited_at = models.DateTimeField()
    buyer_device = models.CharField(max_length=64, blank=True)
    buyer_fan_email = models.EmailField(blank=True)  # the fan signed in at checkout
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    refusal = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [models.Index(fields=["artist", "referrer_email", "state"])]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(
                    models.Q(order__isnull=False, sale_ref__isnull=True)
                    | models.Q(order__isnull=True, sale_ref__isnull=False)
                ),
                name="referral_order_or_sale",
            )
        ]

    def __str__(self) -> str:
        return f"{self.referrer_email} → {self.sale_ref or f'order {self.order_id}'}"


class CreditAccount(models.Model):
    """The row a fan's credit with one artist is locked on (spending, earning)."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="credit_accounts")
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["artist", "email"], name="credit_account_once")
        ]

    def __str__(self) -> str:
        return f"{self.email} at {self.artist_id}"


class CreditEntry(models.Model):
    """One line of the credit ledger, never changed once written."""

    class Kind(models.TextChoices):
        EARNED = "earned", _("earned")
        SPENT = "spent", _("spent")
        REVERSED = "reversed", _("reversed by a refund")
        VOIDED = "voided", _("voided by the band")

    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    # Earned: the referral; spent: the order it paid (part of).
    # Orders are never deleted, except test orders (backstage's "delete test orders"):
    # their ledger lines go with them.
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, null=True, blank=True, related_name="credit_entries"
    )
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="credit_entries",
    )
    available_at = models.DateTimeField(null=True, blank=True)  # earned: end of the hold
    # A reversal or void names the earned entry it cancels; the database refuses two.
    cancels = models.OneToOneField(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="cancelled_by"
    )
    reason = models.CharField(max_length=300, blank=True)
    actor = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]
        verbose_name = _("credit entry")
        verbose_name_plural = _("credit entries")

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_minor} {self.currency}"


class ReleaseReward(models.Model):
    """A release of the fan's choice, earned after N referred sales."""

    class State(models.TextChoices):
        EARNED = "earned", _("earned")
        USED = "used", _("used")
        CANCELLED = "cancelled", _("cancelled")

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="release_rewards")
    email = models.EmailField(db_index=True)
    # The referral that completed the count (its refund cancels the reward if unused).
    referral = models.OneToOneField(
        Referral, on_delete=models.CASCADE, related_name="release_reward"
    )
    available_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.EARNED)
    release = models.ForeignKey(
        Release, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)
    # What the chosen release is worth (its digital price), counted with earned credit
    # against the monthly cap and what the fan has spent with the band.
    value_minor = models.PositiveIntegerField(default=0, db_default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"reward {self.pk} of {self.email}"


class PromoterThanks(models.Model):
    """The band thanked a promoter: a message, maybe a download code (kept as a trace)."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="promoter_thanks")
    email = models.EmailField()
    message = models.TextField()
    code_batch = models.ForeignKey(
        "delivery.CodeBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"thanks to {self.email}"
