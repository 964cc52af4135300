"""The EPC QR code (EPC069-12, "Girocode"): a SEPA credit transfer that a banking app
fills in from a photo. Pure functions: the payload text and the sale's short reference.

Version 002 makes the BIC optional inside the EEA, but we keep it when the band gave one:
some older banking apps still insist on it.
"""

from __future__ import annotations

import uuid

# Field limits of EPC069-12 (characters; the whole payload is at most 331 bytes).
NAME_MAX = 70
REMITTANCE_MAX = 140
AMOUNT_MAX = 999_999_999_99  # EUR 999,999,999.99 in cents


class EpcError(ValueError):
    """Bank details or an amount that no EPC QR code can carry."""


def sale_reference(sale_id: uuid.UUID | str) -> str:
    """A short reference a band finds on its bank statement: the random tail of the sale's
    UUIDv7 (its head is a timestamp, shared by sales of the same minute). The phone makes
    the same one (``payment-panes.js``)."""
    return "MT-" + uuid.UUID(str(sale_id)).hex[-8:].upper()


def epc_amount(cents: int) -> str:
    """``EUR12.50``: euros with a dot and two decimals, no thousands separator."""
    if not 1 <= cents <= AMOUNT_MAX:
        raise EpcError("amount out of range")
    return f"EUR{cents // 100}.{cents % 100:02d}"


def epc_payload(*, bic: str, name: str, iban: str, cents: int, reference: str) -> str:
    """The text of an EPC QR code: twelve fields, one per line (LF), in the standard's
    order; service tag BCD, version 002, charset 1 (UTF-8), identification SCT. The
    reference goes in the unstructured remittance field (line 11); purpose and structured
    reference stay empty; the optional last line (information to the payer) is left out."""
    name = " ".join(name.split())
    iban = "".join(iban.split()).upper()
    bic = "".join(bic.split()).upper()
    if not name or not iban:
        raise EpcError("holder name and IBAN are required")
    if len(bic) not in (0, 8, 11):
        raise EpcError("a BIC has 8 or 11 characters")
    lines = [
        "BCD",
        "002",
        "1",
        "SCT",
        bic,
        name[:NAME_MAX],
        iban,
        epc_amount(cents),
        "",
        "",
        reference[:REMITTANCE_MAX],
    ]
    return "\n".join(lines)


def qr_svg(data: str) -> bytes:
    """A QR code as SVG (the qrcode library the delivery cards use), error correction M
    as EPC069-12 asks; a four-module quiet zone so a banking app finds it on a dark page."""
    import qrcode
    import qrcode.image.svg

    code = qrcode.QRCode(
        border=4,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        image_factory=qrcode.image.svg.SvgPathFillImage,
    )
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    return code.make_image().to_string()
