from __future__ import annotations

from typing import ClassVar

from django.db import models


class WebhookEvent(models.Model):
    """A provider's event, stored once: a second delivery of the same id is a no-op."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=200)
    type = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)
    # Set once acted on: a redelivery of an event whose handling failed acts again
    # (every action is idempotent), one already handled is only acknowledged.
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} {self.type}"


class PaymentSettings(models.Model):
    """How one artist takes money, set on the backstage Payments page (per artist, as
    pretix keeps its payment settings per organiser).

    Secrets are stored sealed (``core.crypto``); the page shows them masked. The
    operator's environment (DISQUAIRE_STRIPE_*) wins over what a band entered.
    """

    artist = models.OneToOneField(
        "catalog.Artist", on_delete=models.CASCADE, related_name="payment_settings"
    )
    # Stripe: the keys as pasted, checked against the API when saved.
    stripe_publishable_key = models.CharField(max_length=200, blank=True)
    stripe_secret_sealed = models.TextField(blank=True)
    stripe_secret_hint = models.CharField(max_length=40, blank=True)
    stripe_webhook_secret_sealed = models.TextField(blank=True)
    # The endpoint registered through the API (empty when the band pasted a secret).
    stripe_webhook_id = models.CharField(max_length=100, blank=True)
    stripe_account = models.CharField(max_length=200, blank=True)
    stripe_livemode = models.BooleanField(default=False)
    stripe_checked_at = models.DateTimeField(null=True, blank=True)
    # The last webhook delivery verified, and the last one whose signature did not match.
    stripe_webhook_ok_at = models.DateTimeField(null=True, blank=True)
    stripe_webhook_failed_at = models.DateTimeField(null=True, blank=True)
    # Bank transfer: offered only once there is somewhere to send the money.
    bank_enabled = models.BooleanField(default=False)
    bank_holder = models.CharField(max_length=140, blank=True)
    bank_iban = models.CharField(max_length=34, blank=True)
    bank_bic = models.CharField(max_length=11, blank=True)
    bank_instructions = models.TextField(blank=True)
    # Cash on collection: offered at checkout only with local pick-up (shop settings).
    cash_enabled = models.BooleanField(default=False, db_default=False)
    # Test mode: the "no money moves" payment is offered and every page says so.
    test_mode = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "payment settings"
        verbose_name_plural = "payment settings"

    def __str__(self) -> str:
        return f"payments of {self.artist_id}"

    @property
    def stripe_connected(self) -> bool:
        return bool(self.stripe_secret_sealed and self.stripe_webhook_secret_sealed)

    @property
    def bank_iban_display(self) -> str:
        from disquaire.core.banking import iban_display

        return iban_display(self.bank_iban)

    @property
    def bank_ready(self) -> bool:
        return bool((self.bank_holder and self.bank_iban) or self.bank_instructions.strip())
