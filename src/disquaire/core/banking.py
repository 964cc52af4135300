"""Bank details a band types in: IBAN (ISO 13616, mod-97 checksum) and BIC (ISO 9362)."""

from __future__ import annotations

import re

# Length of the IBAN of each country that has one (SWIFT's IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
    "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip

BIC_RE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


class BankDetailsError(ValueError):
    """Bank details that cannot be right; the message says why, in plain words."""


def iban_normalise(text: str) -> str:
    """Upper case, without the spaces and dashes people type."""
    return re.sub(r"[\s-]+", "", text or "").upper()


def iban_check(text: str) -> str:
    """The IBAN without spaces, or BankDetailsError (wrong country, length or checksum)."""
    from django.utils.translation import gettext as _

    iban = iban_normalise(text)
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+", iban):
        raise BankDetailsError(
            _("An IBAN starts with two letters and two digits, e.g. FR76 3000 6000 …")
        )
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is None:
        raise BankDetailsError(_("%(code)s is not a country with IBANs.") % {"code": iban[:2]})
    if len(iban) != expected:
        raise BankDetailsError(
            _("An IBAN from %(code)s has %(expected)d characters; this one has %(got)d.")
            % {"code": iban[:2], "expected": expected, "got": len(iban)}
        )
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    if int(digits) % 97 != 1:
        raise BankDetailsError(
            _("This IBAN's check digits do not match: a character is probably mistyped.")
        )
    return iban


def iban_display(iban: str) -> str:
    """The IBAN in groups of four, as it is printed on bank statements."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def bic_check(text: str) -> str:
    """The BIC in upper case, or BankDetailsError: 8 or 11 characters, bank, country, place."""
    from django.utils.translation import gettext as _

    bic = re.sub(r"\s+", "", text or "").upper()
    if not BIC_RE.fullmatch(bic):
        raise BankDetailsError(
            _("A BIC (SWIFT code) has 8 or 11 letters and digits, e.g. BNPAFRPPXXX.")
        )
    return bic
