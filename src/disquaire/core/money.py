"""Money as integer minor units plus an ISO 4217 currency code. Never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 code -> number of minor-unit digits, for the currencies a shop may use.
CURRENCIES: dict[str, int] = {
    "EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "NZD": 2, "SEK": 2,
    "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2, "RON": 2, "BRL": 2, "MXN": 2,
    "ZAR": 2, "SGD": 2, "HKD": 2, "ILS": 2, "INR": 2, "TRY": 2, "XPF": 0, "JPY": 0,
    "KRW": 0, "ISK": 0,
}  # fmt: skip

CURRENCY_CHOICES = [(code, code) for code in sorted(CURRENCIES)]


class MoneyError(ValueError):
    """An amount or currency that cannot be used."""


def currency_check(code: str) -> str:
    """Return the upper-cased ISO code, or raise MoneyError for an unknown currency."""
    upper = (code or "").strip().upper()
    if upper not in CURRENCIES:
        raise MoneyError(f"unknown currency {code!r}")
    return upper


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (cents) of one currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise MoneyError("amounts are whole numbers of minor units")
        currency_check(self.currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """Parse a decimal amount typed by a person ("12", "12.5", "12,50")."""
        code = currency_check(currency)
        digits = CURRENCIES[code]
        cleaned = (text or "").strip().replace(" ", "").replace(",", ".")
        try:
            value = Decimal(cleaned)
        except InvalidOperation as exc:
            raise MoneyError(f"{text!r} is not an amount") from exc
        if not value.is_finite():
            raise MoneyError(f"{text!r} is not an amount")
        quantum = Decimal(1).scaleb(-digits)
        try:
            rounded = value.quantize(quantum, rounding=ROUND_HALF_UP)
        except InvalidOperation as exc:  # far too large to be a price ("1e400")
            raise MoneyError(f"{text!r} is not an amount") from exc
        if rounded != value:
            raise MoneyError(f"{text!r} has more than {digits} decimals")
        return cls(int(value.scaleb(digits)), code)

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-CURRENCIES[self.currency])

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __mul__(self, times: int) -> Money:
        if not isinstance(times, int):
            raise MoneyError("money is multiplied by whole numbers only")
        return Money(self.minor * times, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")

    def __str__(self) -> str:
        return f"{self.decimal} {self.currency}"
