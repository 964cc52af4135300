"""IBAN (mod-97 check digits, length per country) and BIC (format) as a band types them."""

from __future__ import annotations

import pytest

from disquaire.core.banking import BankDetailsError, bic_check, iban_check, iban_display


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        ("FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
        ("gb82 west 1234 5698 7654 32", "GB82WEST12345698765432"),
        ("DE89-3704-0044-0532-0130-00", "DE89370400440532013000"),
        ("BE68539007547034", "BE68539007547034"),
    ],
)
def test_valid_ibans_are_kept_without_spaces(typed: str, clean: str) -> None:
    assert iban_check(typed) == clean


def test_an_iban_with_one_wrong_digit_is_refused_by_its_checksum() -> None:
    with pytest.raises(BankDetailsError, match="check digits do not match"):
        iban_check("FR76 3000 6000 0112 3456 7890 188")


def test_an_iban_of_the_wrong_length_says_how_long_it_should_be() -> None:
    with pytest.raises(BankDetailsError, match="27 characters; this one has 26"):
        iban_check("FR76 3000 6000 0112 3456 7890 18")


def test_an_iban_of_no_country_or_no_shape_is_refused() -> None:
    with pytest.raises(BankDetailsError, match="not a country with IBANs"):
        iban_check("US12 3456 7890 1234")
    with pytest.raises(BankDetailsError, match="starts with two letters"):
        iban_check("1234 5678")


def test_iban_is_shown_in_groups_of_four() -> None:
    assert iban_display("FR7630006000011234567890189") == "FR76 3000 6000 0112 3456 7890 189"


@pytest.mark.parametrize("bic", ["AGRIFRPP", "agri fr pp xxx", "DEUTDEFF500", "BNPAFRPPXXX"])
def test_bics_of_8_or_11_characters_are_accepted(bic: str) -> None:
    assert len(bic_check(bic)) in (8, 11)


@pytest.mark.parametrize("bic", ["AGRIFRP", "AGRIFRPPXX", "1GRIFRPP", "AGRI12PP", ""])
def test_malformed_bics_are_refused(bic: str) -> None:
    with pytest.raises(BankDetailsError, match="8 or 11"):
        bic_check(bic)
