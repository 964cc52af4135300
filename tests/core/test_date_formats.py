"""Dates as a reader outside the US reads them: English short dates (the merch table,
backstage lists, the consignment statement) say the month in letters; French keeps
Django's day-first numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.utils import formats, translation

DAY = date(2026, 12, 4)
MOMENT = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)


def test_english_short_dates_are_unambiguous_and_french_ones_unchanged() -> None:
    with translation.override("en"):
        assert formats.date_format(DAY, "SHORT_DATE_FORMAT") == "4 Dec 2026"
        assert formats.date_format(MOMENT, "SHORT_DATETIME_FORMAT") == "4 Dec 2026 4:30 p.m."
        assert formats.date_format(DAY, "DATE_FORMAT") == "Dec. 4, 2026"  # Django's
        assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%Y-%m-%d"  # Django's
    with translation.override("fr"):
        assert formats.date_format(DAY, "SHORT_DATE_FORMAT") == "04/12/2026"
        assert formats.date_format(MOMENT, "SHORT_DATETIME_FORMAT") == "04/12/2026 16:30"
