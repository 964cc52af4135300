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

    def share(self, basis_points: int) -> Money:
        """``basis_points`` hundredths of a percent of this amount, rounded down (a
        reward or a commission never exceeds its rate): the one place shares are rounded."""
        if not isinstance(basis_points, int) or basis_points < 0:
            raise MoneyError("a share is a whole, non-negative number of basis points")
        return Money(self.minor * basis_points // 10000, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")

    def __str__(self) -> str:
        # Neutral, for logs and files; people read ``format()``.
        return f"{self.decimal} {self.currency}"

    def format(self, language: str | None = None) -> str:
        """The amount as a reader of ``language`` expects it: ``€12.00`` in English,
        ``12,00 €`` in French (CLDR's patterns; the active language when None)."""
        return money_format(self.minor, self.currency, language)


# How each language writes an amount, after the Unicode CLDR (what Babel and browsers'
# Intl.NumberFormat print): the currency's symbol, where it goes, the separators.
NBSP = "\u00a0"  # between a French amount and its symbol: never broken apart
NNBSP = "\u202f"  # French thousands separator (narrow no-break space)


@dataclass(frozen=True, slots=True)
class _Style:
    decimal: str
    group: str
    symbol_first: bool
    symbols: dict[str, str]


_STYLES: dict[str, _Style] = {
    "en": _Style(
        decimal=".",
        group=",",
        symbol_first=True,
        symbols={
            "EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$",
            "NZD": "NZ$", "BRL": "R$", "MXN": "MX$", "HKD": "HK$", "ILS": "₪", "INR": "₹",
            "KRW": "₩", "XPF": "CFPF",
        },
    ),
    "fr": _Style(
        decimal=",",
        group=NNBSP,
        symbol_first=False,
        symbols={
            "EUR": "€", "USD": "$US", "GBP": "£GB", "CAD": "$CA", "AUD": "$AU", "NZD": "$NZ",
            "BRL": "R$", "MXN": "$MX", "HKD": "$HK", "SGD": "$SG", "ILS": "₪", "INR": "₹",
            "KRW": "₩", "XPF": "FCFP",
        },
    ),
}  # fmt: skip


def _language_style(language: str | None) -> _Style:
    if language is None:
        from django.utils.translation import get_language

        language = get_language()
    base = (language or "en").lower().replace("_", "-").split("-")[0]
    return _STYLES.get(base, _STYLES["en"])


def money_format(minor: int, currency: str, language: str | None = None) -> str:
    """``minor`` units of ``currency`` written for a reader of ``language`` (the active
    language when None; English rules for a language without its own)."""
    code = currency_check(currency)
    digits = CURRENCIES[code]
    style = _language_style(language)
    whole, fraction = divmod(abs(minor), 10**digits)
    grouped = f"{whole:,}".replace(",", style.group)
    number = f"{grouped}{style.decimal}{fraction:0{digits}d}" if digits else grouped
    symbol = style.symbols.get(code, code)
    sign = "-" if minor < 0 else ""
    if style.symbol_first:
        # A symbol ending in a letter ("CHF") is kept apart from the figures.
        space = NBSP if symbol[-1].isalpha() else ""
        return f"{sign}{symbol}{space}{number}"
    return f"{sign}{number}{NBSP}{symbol}"
