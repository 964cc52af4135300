"""Amounts are written as readers of each language expect them (Unicode CLDR rules)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from disquaire.core.money import Money, MoneyError, money_format

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("minor", "currency", "english", "french"),
    [
        (1200, "EUR", "€12.00", f"12,00{NBSP}€"),
        (1550, "EUR", "€15.50", f"15,50{NBSP}€"),
        (0, "EUR", "€0.00", f"0,00{NBSP}€"),
        (123456789, "EUR", "€1,234,567.89", f"1{NNBSP}234{NNBSP}567,89{NBSP}€"),
        (999, "USD", "$9.99", f"9,99{NBSP}$US"),
        (2000, "GBP", "£20.00", f"20,00{NBSP}£GB"),
        (2500, "CHF", f"CHF{NBSP}25.00", f"25,00{NBSP}CHF"),
        (1500, "CAD", "CA$15.00", f"15,00{NBSP}$CA"),
        (1200, "JPY", "¥1,200", f"1{NNBSP}200{NBSP}JPY"),
        (5, "SEK", f"SEK{NBSP}0.05", f"0,05{NBSP}SEK"),
    ],
)
def test_amounts_follow_each_languages_rules_per_currency(
    minor: int, currency: str, english: str, french: str
) -> None:
    assert money_format(minor, currency, "en") == english
    assert money_format(minor, currency, "fr") == french
    assert Money(minor, currency).format("fr") == french


def test_a_negative_amount_carries_its_minus_sign_first() -> None:
    assert money_format(-1200, "EUR", "en") == "-€12.00"
    assert money_format(-1200, "EUR", "fr") == f"-12,00{NBSP}€"


def test_regional_variants_and_unknown_languages_fall_back_sensibly() -> None:
    assert money_format(1200, "EUR", "fr-be") == f"12,00{NBSP}€"
    assert money_format(1200, "EUR", "en-gb") == "€12.00"
    assert money_format(1200, "EUR", "xx") == "€12.00"


def test_the_active_language_is_used_when_none_is_given() -> None:
    with translation.override("fr"):
        assert Money(1200, "EUR").format() == f"12,00{NBSP}€"
    with translation.override("en"):
        assert Money(1200, "EUR").format() == "€12.00"


def test_an_unknown_currency_is_refused() -> None:
    with pytest.raises(MoneyError):
        money_format(100, "XYZ", "en")


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "€12.50 / £3.00"), ("fr", f"12,50{NBSP}€ / 3,00{NBSP}£GB")]
)
def test_the_money_filter_writes_amounts_in_the_pages_language(
    language: str, expected: str
) -> None:
    template = Template(
        "{% load shop_tags %}{{ amount|money:'EUR' }} / {{ pounds|money }}|{{ bad|money:'EUR' }}"
    )
    context = Context({"amount": 1250, "pounds": Money(300, "GBP"), "bad": "x"})
    with translation.override(language):
        assert template.render(context) == expected + "|"
