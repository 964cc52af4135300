"""Providers known to this instance and, for each artist, those the band has set up on its
Payments page.

The registry is filled, not listed: each provider's module is registered when its app is
ready (``PaymentsConfig.ready`` for ours; a plugin app calls ``provider_register`` from
its own ``ready``), as pretix fills its own from a signal. The operator allows some of
them (settings.PAYMENT_PROVIDERS)."""

from __future__ import annotations

from django.conf import settings

from disquaire.catalog.models import Artist
from disquaire.payments.base import BasePaymentProvider, ProviderError
from disquaire.payments.models import PaymentSettings
from disquaire.payments.selectors import payment_settings_for

PROVIDERS: dict[str, type[BasePaymentProvider]] = {}


def provider_register(cls: type[BasePaymentProvider]) -> type[BasePaymentProvider]:
    """Make ``cls`` known under its identifier (once; usable as a class decorator)."""
    known = PROVIDERS.setdefault(cls.identifier, cls)
    if known is not cls:
        raise ValueError(f"two payment providers are called {cls.identifier!r}")
    return cls


# The order a fan sees them in: card first, then transfer, the test page last.
CHECKOUT_ORDER = ("stripe", "manual", "test")


def provider_get(
    identifier: str, *, artist: Artist | int | None = None, config: PaymentSettings | None = None
) -> BasePaymentProvider:
    """The provider with this identifier (set up or not: old payments keep theirs), with
    the artist's payment settings when ``artist`` (or its ``config``) is given."""
    try:
        cls = PROVIDERS[identifier]
    except KeyError as exc:
        raise ProviderError(f"unknown payment provider {identifier!r}") from exc
    if config is None and artist is not None:
        config = payment_settings_for(artist)
    return cls(config)


def providers_available(
    artist: Artist | int, *, config: PaymentSettings | None = None
) -> list[BasePaymentProvider]:
    """Providers a fan of ``artist`` may choose now: those the operator allows
    (PAYMENT_PROVIDERS) and the band has made ready, card first."""
    if config is None:
        config = payment_settings_for(artist)
    allowed = [i for i in settings.PAYMENT_PROVIDERS if i in PROVIDERS and i != "free"]
    if "test" not in allowed:
        # The test payment needs no operator's word: the band's own test mode turns it on
        # (TestProvider.is_available), and production refuses it unless the operator allows.
        allowed.append("test")
    ordered = sorted(allowed, key=lambda i: CHECKOUT_ORDER.index(i) if i in CHECKOUT_ORDER else 99)
    chosen = []
    for identifier in ordered:
        provider = PROVIDERS[identifier](config)
        if provider.is_available():
            chosen.append(provider)
    return chosen
