"""What an offer costs, computed on the server from the offer alone (and, for "name your
price", the amount the buyer typed, checked against the minimum and a sane maximum)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from disquaire.core.money import CURRENCIES, Money, MoneyError, currency_check, money_format
from disquaire.selling.models import Offer

# No single offer costs more than this many whole units of any currency: a typo guard.
MAX_AMOUNT_MAJOR = 10_000
AMOUNT_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


class PriceError(ValueError):
    """An amount the shop refuses; the message is for the buyer."""


def amount_max_minor(currency: str) -> int:
    return MAX_AMOUNT_MAJOR * 10 ** CURRENCIES[currency_check(currency)]


def offer_price(*, offer: Offer, amount_text: str | None = None) -> int:
    """The unit price in minor units of the artist's currency.

    Fixed and free prices ignore whatever the client sent; a name-your-price amount is
    parsed and must be between the minimum and MAX_AMOUNT_MAJOR.
    """
    try:
        currency = currency_check(offer.artist.currency)
    except MoneyError as exc:
        raise PriceError(_("This shop's currency is not supported.")) from exc
    if offer.pricing == Offer.Pricing.FIXED:
        return offer.price_minor
    if offer.pricing == Offer.Pricing.FREE:
        return 0
    text = (amount_text or "").strip()
    if not text:
        if offer.minimum_minor == 0:
            return 0
        raise PriceError(_("Please enter an amount."))
    # Digits and one decimal separator only: no exponents ("1e400" would make the
    # Decimal arithmetic in Money.parse raise), no absurdly long inputs.
    if len(text) > 20 or not AMOUNT_RE.match(text.replace(" ", "")):
        raise PriceError(_("“%(text)s” is not an amount.") % {"text": text[:20]})
    try:
        amount = Money.parse(text, currency)
    except (MoneyError, ArithmeticError) as exc:
        raise PriceError(_("“%(text)s” is not an amount.") % {"text": text[:20]}) from exc
    if amount.minor < 0:
        raise PriceError(_("The amount cannot be negative."))
    if amount.minor < offer.minimum_minor:
        raise PriceError(
            _("The minimum is %(minimum)s.")
            % {"minimum": money_format(offer.minimum_minor, currency)}
        )
    if amount.minor > amount_max_minor(currency):
        raise PriceError(
            _("The most you can pay here is %(maximum)s.")
            % {"maximum": money_format(amount_max_minor(currency), currency)}
        )
    return amount.minor
