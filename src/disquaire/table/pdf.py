"""The show report as a PDF on A4 (reportlab, drawn like the consignment statement):
the bag per item, then the money, with the figures of the page and the CSV."""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib.units import mm

from disquaire.catalog.models import Artist
from disquaire.core.pdf import A4Sheet, pdf_money
from disquaire.table.selectors import Report


def _num(value: int | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+d}" if signed and value else str(value)


def report_pdf(*, report: Report, money: list[tuple[str, int | None]], artist: Artist) -> bytes:
    """The report on A4; ``money`` is the list of (label, amount) rows the CSV writes."""
    show = report.show
    currency = artist.currency
    title = _("Show report")
    sheet = A4Sheet(
        title=title, document_title=f"{title} — {artist.name} — {show.venue}", author=artist.name
    )
    left, right = sheet.left, sheet.right
    place = ", ".join(p for p in (show.venue, show.town) if p)
    heading = [
        artist.name,
        f"{place} · {formats.date_format(show.date, 'SHORT_DATE_FORMAT')}",
        _("Sales: %(n)s") % {"n": report.sales},
    ]
    if report.voided:
        # Counted in no figure below: said, so the page and the sheet agree.
        heading.append(_("Voided sales (in no total): %(n)s") % {"n": len(report.voided)})
    sheet.lines(tuple(heading))
    columns = [
        (left, _("Item"), "l"),
        (left + 85 * mm, _("Count in"), "r"),
        (left + 105 * mm, _("Sold"), "r"),
        (left + 125 * mm, _("Expected"), "r"),
        (left + 145 * mm, _("Count out"), "r"),
        (right, _("Difference"), "r"),
    ]
    sheet.table(
        columns,
        (
            [
                line.item.name,
                _num(line.counted_in),
                _num(line.sold),
                _num(line.expected_out),
                _num(line.counted_out),
                _num(line.difference, signed=True),
            ]
            for line in report.lines
        ),
        text_width=70 * mm,
    )
    canvas = sheet.canvas
    sheet.y -= 6 * mm
    last = money[-1][0] if money else ""
    for label, value in money:
        sheet.page_room()
        canvas.setFont("Helvetica-Bold" if label == last else "Helvetica", 10)
        canvas.drawString(left + 85 * mm, sheet.y, label)
        canvas.drawRightString(right, sheet.y, pdf_money(value, currency))
        sheet.y -= 6 * mm
    return sheet.pdf()
