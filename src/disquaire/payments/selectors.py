"""What the rest of the site reads about an artist's payment set-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings

from disquaire.catalog.models import Artist
from disquaire.core.crypto import SecretUnreadable, secret_open
from disquaire.core.queries import Compiled
from disquaire.payments.models import PaymentSettings

logger = logging.getLogger(__name__)

STRIPE_SECRET_PURPOSE = "payments.stripe.secret"  # noqa: S105 (a key-derivation label)
STRIPE_WEBHOOK_PURPOSE = "payments.stripe.webhook"


def payment_settings_for(artist: Artist | int | None) -> PaymentSettings:
    """The artist's payment settings; unsaved defaults (nothing set up) when none exist."""
    if artist is None:
        return PaymentSettings()
    artist_id = artist if isinstance(artist, int) else artist.pk
    found = _SETTINGS.one(artist_id=artist_id)
    return found if found is not None else PaymentSettings(artist_id=artist_id)


# Read at every checkout and every test payment: compiled once (one row per artist).
_SETTINGS = Compiled(
    lambda artist_id: PaymentSettings.objects.filter(artist_id=artist_id).order_by()[:1]
)


def test_mode_on(artist: Artist | int | None) -> bool:
    """Does this artist's shop take test payments now (the banner shows, no money moves)?"""
    if artist is None:
        return False
    artist_id = artist if isinstance(artist, int) else artist.pk
    return PaymentSettings.objects.filter(artist_id=artist_id, test_mode=True).exists()


@dataclass(frozen=True)
class StripeCredentials:
    secret_key: str
    webhook_secret: str
    # "environment" (the operator's DISQUAIRE_STRIPE_* override) or "backstage".
    source: str

    @property
    def livemode(self) -> bool:
        return "_live_" in self.secret_key


def stripe_environment() -> StripeCredentials | None:
    """The operator's keys from the environment, which win over any band's."""
    if settings.DISQUAIRE_STRIPE_SECRET_KEY and settings.DISQUAIRE_STRIPE_WEBHOOK_SECRET:
        return StripeCredentials(
            settings.DISQUAIRE_STRIPE_SECRET_KEY,
            settings.DISQUAIRE_STRIPE_WEBHOOK_SECRET,
            "environment",
        )
    return None


def stripe_credentials(config: PaymentSettings | None) -> StripeCredentials | None:
    """The Stripe keys to use for an artist: the environment's, else the band's own."""
    found = stripe_environment()
    if found is not None or config is None or not config.stripe_connected:
        return found
    try:
        return StripeCredentials(
            secret_open(sealed=config.stripe_secret_sealed, purpose=STRIPE_SECRET_PURPOSE),
            secret_open(sealed=config.stripe_webhook_secret_sealed, purpose=STRIPE_WEBHOOK_PURPOSE),
            "backstage",
        )
    except SecretUnreadable:
        # SECRET_KEY changed without the old one in SECRET_KEY_FALLBACKS.
        logger.error("artist %s: Stripe keys sealed with another SECRET_KEY", config.artist_id)
        return None
