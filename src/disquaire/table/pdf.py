"""The show report as a PDF on A4 (reportlab, drawn like the consignment statement):
the bag per item, then the money, with the figures of the page and the CSV."""

from __future__ import annotations

import io

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from disquaire.catalog.models import Artist
from disquaire.core.pdf import pdf_fit, pdf_money
from disquaire.table.selectors import Report


def _num(value: int | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+d}" if signed and value else str(value)


def report_pdf(*, report: Report, money: list[tuple[str, int | None]], artist: Artist) -> bytes:
    """The report on A4; ``money`` is the list of (label, amount) rows the CSV writes."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=0)
    show = report.show
    currency = artist.currency
    title = _("Show report")
    canvas.setTitle(f"{title} — {artist.name} — {show.venue}")
    canvas.setAuthor(artist.name)
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    y = height - 25 * mm

    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(left, y, title)
    y -= 9 * mm
    canvas.setFont("Helvetica", 10)
    place = ", ".join(p for p in (show.venue, show.town) if p)
    for text in (
        artist.name,
        f"{place} · {formats.date_format(show.date, 'SHORT_DATE_FORMAT')}",
        _("Sales: %(n)s") % {"n": report.sales},
    ):
        canvas.drawString(left, y, pdf_fit(text, "Helvetica", 10, right - left))
        y -= 5.5 * mm
    y -= 6 * mm

    columns = [
        (left, _("Item"), "l"),
        (left + 85 * mm, _("Count in"), "r"),
        (left + 105 * mm, _("Sold"), "r"),
        (left + 125 * mm, _("Expected"), "r"),
        (left + 145 * mm, _("Count out"), "r"),
        (right, _("Difference"), "r"),
    ]

    def page_room() -> None:
        nonlocal y
        if y < 30 * mm:
            canvas.showPage()
            y = height - 25 * mm

    def row(cells: list[str], font: str = "Helvetica") -> None:
        nonlocal y
        page_room()
        canvas.setFont(font, 10)
        for (x, _label, align), cell in zip(columns, cells, strict=True):
            if align == "l":
                canvas.drawString(x, y, pdf_fit(cell, font, 10, 70 * mm))
            else:
                canvas.drawRightString(x, y, cell)
        y -= 6 * mm

    row([label for _x, label, _a in columns], "Helvetica-Bold")
    canvas.setLineWidth(0.5)
    canvas.line(left, y + 4 * mm, right, y + 4 * mm)
    for line in report.lines:
        row(
            [
                line.item.name,
                _num(line.counted_in),
                _num(line.sold),
                _num(line.expected_out),
                _num(line.counted_out),
                _num(line.difference, signed=True),
            ]
        )
    canvas.line(left, y + 4 * mm, right, y + 4 * mm)
    y -= 6 * mm
    last = money[-1][0] if money else ""
    for label, value in money:
        page_room()
        canvas.setFont("Helvetica-Bold" if label == last else "Helvetica", 10)
        canvas.drawString(left + 85 * mm, y, label)
        canvas.drawRightString(right, y, pdf_money(value, currency))
        y -= 6 * mm
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
