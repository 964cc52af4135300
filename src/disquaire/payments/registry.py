"""Providers known to this instance, from settings.PAYMENT_PROVIDERS."""

from __future__ import annotations

from django.conf import settings

from disquaire.payments.base import BasePaymentProvider, ProviderError
from disquaire.payments.providers.free import FreeProvider
from disquaire.payments.providers.manual import ManualProvider
from disquaire.payments.providers.stripe import StripeProvider
from disquaire.payments.providers.test import TestProvider

PROVIDERS: dict[str, type[BasePaymentProvider]] = {
    cls.identifier: cls for cls in (StripeProvider, ManualProvider, TestProvider, FreeProvider)
}


def provider_get(identifier: str) -> BasePaymentProvider:
    """The provider with this identifier (configured or not: old payments keep theirs)."""
    try:
        return PROVIDERS[identifier]()
    except KeyError as exc:
        raise ProviderError(f"unknown payment provider {identifier!r}") from exc


def providers_available() -> list[BasePaymentProvider]:
    """Providers a buyer may choose now, in the order settings list them."""
    chosen = []
    for identifier in settings.PAYMENT_PROVIDERS:
        cls = PROVIDERS.get(identifier)
        if cls is not None and cls.identifier != "free":
            provider = cls()
            if provider.is_available():
                chosen.append(provider)
    return chosen
