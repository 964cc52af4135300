"""A statement as the shop's accountant wants it: a printable PDF (reportlab, drawn with
its built-in Helvetica) and a CSV with the same figures."""

from __future__ import annotations

import csv
import io

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from disquaire.consignment.models import Statement
from disquaire.consignment.selectors import statement_lines
from disquaire.core.csvsafe import csv_safe
from disquaire.core.money import Money
from disquaire.core.pdf import pdf_fit, pdf_money


def statement_csv(*, statement: Statement) -> str:
    """One row per item and price, then the totals; amounts as decimals."""
    out = io.StringIO()
    writer = csv.writer(out)
    currency = statement.currency
    shop = statement.shop
    writer.writerow([_("Statement"), statement.number, csv_safe(shop.name)])
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
                csv_safe(line.item),
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
            canvas.drawString(left, y, pdf_fit(text, "Helvetica", 10, right - left))
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
                canvas.drawString(x, y, pdf_fit(cell, font, 10, 90 * mm))
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
                pdf_money(line.price_minor, currency),
                pdf_money(line.share_minor, currency),
                pdf_money(line.due_minor, currency),
            ]
        )
    canvas.line(left, y + 4 * mm, right, y + 4 * mm)
    y -= 2 * mm
    totals = [
        (_("Units sold"), str(statement.units)),
        (_("Sales at the shop's prices"), pdf_money(statement.sales_minor, currency)),
        (_("Due to the band"), pdf_money(statement.due_minor, currency)),
        (_("Already paid"), pdf_money(statement.paid_minor, currency)),
        (_("Balance"), pdf_money(statement.balance_minor, currency)),
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
