"""The merch table's files: a show's report as CSV (registered as exporter "table-show-report")."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from disquaire.core.csvsafe import csv_safe
from disquaire.core.money import money_format
from disquaire.table import selectors
from disquaire.table.models import Show


def show_report_csv(*, show: Show) -> str:
    """The report as a spreadsheet: one row per item, then the money."""
    report = selectors.show_report(show=show)
    currency = show.artist.currency
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(
        [_("Item"), _("Count in"), _("Sold"), _("Expected"), _("Count out"), _("Difference")]
    )
    for line in report.lines:
        out.writerow([line.item.name, line.counted_in, line.sold, line.expected_out,
                      line.counted_out, line.difference])  # fmt: skip
    out.writerow([])

    def amount(minor: int | None) -> str:
        return "" if minor is None else money_format(minor, currency)

    for label, value in money_rows(report=report):
        out.writerow([label, amount(value)])
    if report.voided:
        # Counted above in nothing: listed apart, with why, when and by whom.
        out.writerow([])
        out.writerow([_("Voided sales"), _("Amount"), _("Why"), _("Voided"), _("By")])
        for sale in report.voided:
            when = sale.voided_at.isoformat(timespec="minutes") if sale.voided_at else ""
            out.writerow([csv_safe(str(sale.pk)), amount(sale.total), csv_safe(sale.void_reason),
                          when, csv_safe(sale.voided_by)])  # fmt: skip
    return buffer.getvalue()


def money_rows(*, report: selectors.Report) -> list[tuple[str, int | None]]:
    """The money figures of a report, in the order the CSV and the PDF give them."""
    rows: list[tuple[str, int | None]] = [
        (_("Gross"), report.gross),
        (_("Cash sales"), report.cash),
        (_("Card sales"), report.card),
    ]
    if report.online or report.online_waiting:
        rows.append((_("Online (phone)"), report.online))
    if report.bank or report.bank_pending:
        rows += [
            (_("Bank transfers received"), report.bank),
            (_("Bank transfers pending"), report.bank_pending),
        ]
    rows += [
        (_("Expected cash"), report.expected_cash),
        (_("Counted cash"), report.show.cash_counted),
        (_("Cash difference"), report.cash_difference),
        (_("Venue's cut"), report.venue_cut),
        (_("The band takes home"), report.take_home),
    ]
    return rows
