"""The exporters registry: every downloadable CSV is registered once, by its app."""

from __future__ import annotations

import pytest

from disquaire.core.exporters import exporter_get, exporter_register, exporters_all


def test_each_app_registers_its_csv_exporters() -> None:
    keys = {e.key for e in exporters_all()}
    assert {
        "orders", "stats", "codes", "stock-ledger", "consignment-statement",
        "table-show-report", "followers",
    } <= keys  # fmt: skip
    assert all(e.content_type == "text/csv; charset=utf-8" for e in exporters_all())


def test_a_key_cannot_be_taken_twice_and_an_unknown_one_is_refused() -> None:
    def other(**_kw: object) -> str:
        return ""

    with pytest.raises(ValueError):
        exporter_register("orders", label="x", content_type="text/csv", build=other)
    known = exporter_get("orders")
    exporter_register("orders", label=known.label, content_type=known.content_type,
                      build=known.build)  # fmt: skip
    with pytest.raises(LookupError):
        exporter_get("nothing-like-this")
