"""Text for the PDFs drawn with reportlab's built-in Helvetica (statements, reports)."""

from __future__ import annotations

from reportlab.pdfbase.pdfmetrics import stringWidth

from disquaire.core.money import Money


def pdf_money(minor: int | None, currency: str) -> str:
    """An amount as the page writes it; "—" for none."""
    if minor is None:
        return "—"
    # Helvetica's encoding has no narrow no-break space (French thousands): a plain one.
    return Money(minor, currency).format().replace("\u202f", " ").replace("\u00a0", " ")


def pdf_fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` points in ``font`` at ``size``."""
    while text and stringWidth(text, font, size) > width:
        text = text[:-2] + "…"
        if len(text) <= 1:
            break
    return text
