"""A statement as the shop's accountant wants it: a printable PDF (reportlab, drawn with
its built-in Helvetica) and a CSV with the same figures."""

from __future__ import annotations

import csv
import io

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from disquaire.consignment.models import Statement
from disquaire.consignment.selectors import statement_lines
from disquaire.core.money import Money


def _money(minor: int, currency: str) -> str:
    # Helvetica's encoding has no narrow no-break space (French thousands): a plain one.
    return Money(minor, currency).format().replace("\u202f", " ").replace("\u00a0", " ")


def _csv_text(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def statement_csv(*, statement: Statement) -> str:
    """One row per item and price, then the totals; amounts as decimals."""
    out = io.StringIO()
    writer = csv.writer(out)
    currency = statement.currency
    shop = statement.shop
    writer.writerow([_("Statement"), statement.number, _csv_text(shop.name)])
    writer.writerow(
        [_("Period"), statement.period_start.isoformat(), statement.period_end.isoformat()]
    )
    writer.writerow([])
    writer.writerow(
        [
            _("Item"),
            _("Units sold"),
            _("Price"),
            _("Band's share per unit"),
            _("Sales"),
            _("Due to the band"),
            _("Currency"),
        ]
    )
    for line in statement_lines(statement=statement):
        writer.writerow(
            [
                _csv_text(line.item),
                line.units,
                Money(line.price_minor, currency).decimal,
                Money(line.share_minor, currency).decimal,
                Money(line.sales_minor, currency).decimal,
                Money(line.due_minor, currency).decimal,
                currency,
            ]
        )
    writer.writerow([])
    writer.writerow(
        [
            _("Total"),
            statement.units,
            "",
            "",
            Money(statement.sales_minor, currency).decimal,
            Money(statement.due_minor, currency).decimal,
            currency,
        ]
    )
    writer.writerow(
        [_("Already paid"), "", "", "", "", Money(statement.paid_minor, currency).decimal, currency]
    )
    writer.writerow(
        [_("Balance"), "", "", "", "", Money(statement.balance_minor, currency).decimal, currency]
    )
    return out.getvalue()


def _fit(text: str, font: str, size: float, width: float) -> str:
    while text and stringWidth(text, font, size) > width:
        text = text[:-2] + "…"
        if len(text) <= 1:
            break
    return text


def statement_pdf(*, statement: Statement) -> bytes:
    """The statement on A4: band and shop, period, one line per item and price, totals,
    what was paid and the balance."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=0)
    shop = statement.shop
    artist = shop.artist
    currency = statement.currency
    title = _("Consignment statement no. %(number)s") % {"number": statement.number}
    canvas.setTitle(f"{title} — {shop.name}")
    canvas.setAuthor(artist.name)
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    y = height - 25 * mm

    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(left, y, title)
    y -= 9 * mm
    canvas.setFont("Helvetica", 10)
    period = _("Period: %(start)s to %(end)s") % {
        "start": formats.date_format(statement.period_start, "SHORT_DATE_FORMAT"),
        "end": formats.date_format(statement.period_end, "SHORT_DATE_FORMAT"),
    }
    for text in (
        _("From: %(band)s") % {"band": artist.name},
        _("Shop: %(shop)s") % {"shop": shop.name},
        ", ".join(p for p in (shop.address, shop.town, shop.country) if p),
        period,
    ):
        if text:
            canvas.drawString(left, y, _fit(text, "Helvetica", 10, right - left))
            y -= 5.5 * mm
    y -= 6 * mm

    columns = [
        (left, _("Item"), "l"),
        (left + 95 * mm, _("Units"), "r"),
        (left + 120 * mm, _("Price"), "r"),
        (left + 145 * mm, _("Share/unit"), "r"),
        (right, _("Due"), "r"),
    ]

    def row(cells: list[str], font: str = "Helvetica") -> None:
        nonlocal y
        if y < 30 * mm:
            canvas.showPage()
            y = height - 25 * mm
        canvas.setFont(font, 10)
        for (x, _label, align), cell in zip(columns, cells, strict=True):
            if align == "l":
                canvas.drawString(x, y, _fit(cell, font, 10, 90 * mm))
            else:
                canvas.drawRightString(x, y, cell)
        y -= 6 * mm

    row([label for _x, label, _a in columns], "Helvetica-Bold")
    canvas.setLineWidth(0.5)
    canvas.line(left, y + 4 * mm, right, y + 4 * mm)
    for line in statement_lines(statement=statement):
        row(
            [
                line.item,
                str(line.units),
                _money(line.price_minor, currency),
                _money(line.share_minor, currency),
                _money(line.due_minor, currency),
            ]
        )
    canvas.line(left, y + 4 * mm, right, y + 4 * mm)
    y -= 2 * mm
    totals = [
        (_("Units sold"), str(statement.units)),
        (_("Sales at the shop's prices"), _money(statement.sales_minor, currency)),
        (_("Due to the band"), _money(statement.due_minor, currency)),
        (_("Already paid"), _money(statement.paid_minor, currency)),
        (_("Balance"), _money(statement.balance_minor, currency)),
    ]
    for label, value in totals:
        canvas.setFont("Helvetica-Bold" if label == _("Balance") else "Helvetica", 10)
        canvas.drawString(left + 95 * mm, y, label)
        canvas.drawRightString(right, y, value)
        y -= 6 * mm
    if statement.paid_on:
        y -= 4 * mm
        canvas.setFont("Helvetica", 10)
        canvas.drawString(
            left,
            y,
            _("Paid on %(date)s (%(method)s).")
            % {
                "date": formats.date_format(statement.paid_on, "SHORT_DATE_FORMAT"),
                "method": statement.paid_method or "—",
            },
        )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
