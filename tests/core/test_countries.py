"""Country names from ISO codes, in the active language."""

from __future__ import annotations

from django.utils import translation

from disquaire.core.countries import COUNTRIES, country_name


def test_a_code_is_named_in_the_active_language_whatever_its_case() -> None:
    with translation.override("en"):
        assert country_name("gb") == "United Kingdom"
        assert country_name(" RE ") == "Réunion"
    with translation.override("fr"):
        assert country_name("GB") == "Royaume-Uni"
        assert country_name("RE") == "La Réunion"
        assert country_name("DE") == "Allemagne"


def test_a_code_that_names_no_country_is_shown_as_given() -> None:
    assert country_name("xk") == "XK"
    assert country_name("") == ""
    assert country_name(None) == ""


def test_every_assigned_code_is_there_once() -> None:
    assert len(COUNTRIES) == 249
    assert all(len(code) == 2 and code.isupper() for code in COUNTRIES)
    with translation.override("en"):
        assert len({str(name) for name in COUNTRIES.values()}) == 249
