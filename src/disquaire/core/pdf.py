"""The PDFs drawn with reportlab's built-in Helvetica (statements, reports): the A4 sheet
with its title, lines of text and table rows, and the text that fits in them."""

from __future__ import annotations

import io
from collections.abc import Iterable

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from disquaire.core.money import Money

# A column of a table: where it stands, its heading, "l" (text, cut to fit) or "r" (figures).
Column = tuple[float, str, str]


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


class A4Sheet:
    """An A4 page drawn from the top down, 20 mm margins; a new page when the pen nears
    the foot. ``pdf()`` ends it and returns the bytes."""

    def __init__(self, *, title: str, document_title: str, author: str) -> None:
        self._buffer = io.BytesIO()
        self.canvas = Canvas(self._buffer, pagesize=A4, pageCompression=0)
        self.canvas.setTitle(document_title)
        self.canvas.setAuthor(author)
        width, self.height = A4
        self.left, self.right = 20 * mm, width - 20 * mm
        self.y = self.height - 25 * mm
        self.canvas.setFont("Helvetica-Bold", 16)
        self.canvas.drawString(self.left, self.y, title)
        self.y -= 9 * mm

    def lines(self, texts: Iterable[str]) -> None:
        """Lines of text under the title (an empty one is left out), then a gap."""
        self.canvas.setFont("Helvetica", 10)
        for text in texts:
            if text:
                fitted = pdf_fit(text, "Helvetica", 10, self.right - self.left)
                self.canvas.drawString(self.left, self.y, fitted)
                self.y -= 5.5 * mm
        self.y -= 6 * mm

    def page_room(self) -> None:
        """A new page when the pen is near the foot of this one."""
        if self.y < 30 * mm:
            self.canvas.showPage()
            self.y = self.height - 25 * mm

    def row(
        self, columns: list[Column], cells: list[str], *, text_width: float, font: str = "Helvetica"
    ) -> None:
        """One row of a table; text cells are cut to ``text_width`` points."""
        self.page_room()
        self.canvas.setFont(font, 10)
        for (x, _label, align), cell in zip(columns, cells, strict=True):
            if align == "l":
                self.canvas.drawString(x, self.y, pdf_fit(cell, font, 10, text_width))
            else:
                self.canvas.drawRightString(x, self.y, cell)
        self.y -= 6 * mm

    def table(self, columns: list[Column], rows: Iterable[list[str]], *, text_width: float) -> None:
        """The headings in bold, a rule, the rows, a rule."""
        self.row(
            columns,
            [label for _x, label, _a in columns],
            text_width=text_width,
            font="Helvetica-Bold",
        )
        self.canvas.setLineWidth(0.5)
        self.rule()
        for cells in rows:
            self.row(columns, cells, text_width=text_width)
        self.rule()

    def rule(self) -> None:
        """A thin line across the page just above the pen."""
        self.canvas.line(self.left, self.y + 4 * mm, self.right, self.y + 4 * mm)

    def pdf(self) -> bytes:
        """The page ended and the document as bytes."""
        self.canvas.showPage()
        self.canvas.save()
        return self._buffer.getvalue()
