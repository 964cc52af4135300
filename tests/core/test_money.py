from __future__ import annotations

import pytest

from disquaire.core.money import Money, MoneyError


@pytest.mark.parametrize(
    ("text", "minor"), [("12", 1200), ("12.5", 1250), ("12,50", 1250), (" 0.99 ", 99)]
)
def test_amounts_typed_by_people_become_minor_units(text: str, minor: int) -> None:
    assert Money.parse(text, "eur") == Money(minor, "EUR")


@pytest.mark.parametrize("text", ["", "abc", "1.234", "nan", "inf", "1e400", "--1"])
def test_what_is_not_an_amount_is_a_money_error(text: str) -> None:
    with pytest.raises(MoneyError):
        Money.parse(text, "EUR")


def test_currencies_are_checked_and_never_mixed() -> None:
    with pytest.raises(MoneyError):
        Money(100, "XYZ")
    with pytest.raises(MoneyError):
        Money(100, "EUR") + Money(100, "USD")
    assert Money(100, "JPY") + Money(5, "JPY") == Money(105, "JPY")
    assert str(Money(1250, "EUR")) == "12.50 EUR"
