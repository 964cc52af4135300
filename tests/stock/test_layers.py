"""The stock room sits between catalog and selling: it imports catalog and core only."""

from __future__ import annotations

import disquaire.stock
from tests.layers import imports_outside


def test_stock_imports_only_catalog_and_core() -> None:
    wrong = imports_outside(
        disquaire.stock, {"disquaire.stock", "disquaire.catalog", "disquaire.core"}
    )
    assert not wrong, wrong
