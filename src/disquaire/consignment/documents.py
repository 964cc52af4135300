"""A statement as the shop's accountant wants it: a printable PDF (reportlab, drawn with
its built-in Helvetica) and a CSV with the same figures."""

from __future__ import annotations

import csv
import io

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib.units import mm

from disquaire.consignment.models import Statement
from disquaire.consignment.selectors import statement_lines
from disquaire.core.csvsafe import csv_safe
from disquaire.core.money import Money
from disquaire.core.pdf import A4Sheet, pdf_money


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
    shop = statement.shop
    artist = shop.artist
    currency = statement.currency
    title = _("Consignment statement no. %(number)s") % {"number": statement.number}
    sheet = A4Sheet(title=title, document_title=f"{title} — {shop.name}", author=artist.name)
    left, right = sheet.left, sheet.right
    period = _("Period: %(start)s to %(end)s") % {
        "start": formats.date_format(statement.period_start, "SHORT_DATE_FORMAT"),
        "end": formats.date_format(statement.period_end, "SHORT_DATE_FORMAT"),
    }
    sheet.lines(
        (
            _("From: %(band)s") % {"band": artist.name},
            _("Shop: %(shop)s") % {"shop": shop.name},
            ", ".join(p for p in (shop.address, shop.town, shop.country) if p),
            period,
        )
    )
    columns = [
        (left, _("Item"), "l"),
        (left + 95 * mm, _("Units"), "r"),
        (left + 120 * mm, _("Price"), "r"),
        (left + 145 * mm, _("Share/unit"), "r"),
        (right, _("Due"), "r"),
    ]
    sheet.table(
        columns,
        (
            [
                line.item,
                str(line.units),
                pdf_money(line.price_minor, currency),
                pdf_money(line.share_minor, currency),
                pdf_money(line.due_minor, currency),
            ]
            for line in statement_lines(statement=statement)
        ),
        text_width=90 * mm,
    )
    canvas = sheet.canvas
    sheet.y -= 2 * mm
    totals = [
        (_("Units sold"), str(statement.units)),
        (_("Sales at the shop's prices"), pdf_money(statement.sales_minor, currency)),
        (_("Due to the band"), pdf_money(statement.due_minor, currency)),
        (_("Already paid"), pdf_money(statement.paid_minor, currency)),
        (_("Balance"), pdf_money(statement.balance_minor, currency)),
    ]
    for label, value in totals:
        canvas.setFont("Helvetica-Bold" if label == _("Balance") else "Helvetica", 10)
        canvas.drawString(left + 95 * mm, sheet.y, label)
        canvas.drawRightString(right, sheet.y, value)
        sheet.y -= 6 * mm
    if statement.paid_on:
        sheet.y -= 4 * mm
        canvas.setFont("Helvetica", 10)
        canvas.drawString(
            left,
            sheet.y,
            _("Paid on %(date)s (%(method)s).")
            % {
                "date": formats.date_format(statement.paid_on, "SHORT_DATE_FORMAT"),
                "method": statement.paid_method or "—",
            },
        )
    return sheet.pdf()
