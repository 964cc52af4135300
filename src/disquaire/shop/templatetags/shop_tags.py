from __future__ import annotations

from typing import Any

from django import template

from disquaire.core.countries import countries_by_name
from disquaire.core.countries import country_name as _country_name
from disquaire.core.money import Money, MoneyError, money_format
from disquaire.selling.selectors import ShippingLine, shipping_for_offers
from disquaire.shop.selectors import artist_offers, release_offers

register = template.Library()


@register.filter
def country_name(code: str | None) -> str:
    """A shipping address's country code as the country's name in the active language."""
    return _country_name(code)


@register.filter
def money(value: Any, currency: str | None = None) -> str:
    """``{{ amount_minor|money:currency }}`` (or ``{{ a_money|money }}``) as a reader of
    the active language writes it: "€12.50" in English, "12,50 €" in French."""
    try:
        if isinstance(value, Money):
            return value.format()
        return money_format(int(value), currency or "")
    except (MoneyError, TypeError, ValueError):
        return ""


@register.filter
def money_input(minor: Any, currency: str) -> str:
    """An amount as a person types it ("12.50"), for a form field's value."""
    try:
        return str(Money(int(minor), currency).decimal)
    except (MoneyError, TypeError, ValueError):
        return ""


@register.simple_tag
def shop_release_offers(release: Any) -> list[Any]:
    return release_offers(release)


@register.simple_tag
def shop_artist_offers(artist: Any) -> list[Any]:
    """The artist's offers that belong to no release (merch)."""
    return artist_offers(artist)


@register.filter
def payment_method(identifier: str) -> str:
    """A payment provider's identifier in words ("manual" → "Bank transfer")."""
    from disquaire.orders.history import PROVIDERS

    label = PROVIDERS.get(identifier)
    return str(label)[:1].upper() + str(label)[1:] if label else identifier


@register.simple_tag
def shop_shipping(offers: list[Any]) -> list[ShippingLine]:
    """Where the artist ships and for how much, when one of ``offers`` ships."""
    return shipping_for_offers(offers)


@register.filter
def country_names(codes: list[str]) -> str:
    """Country codes as their names in the active language, sorted by name."""
    return ", ".join(name for _code, name in countries_by_name(codes))
