"""Consignment sits above stock and below storefront and backstage: it imports stock,
catalog and core only (the storefront and the backstage import its selectors)."""

from __future__ import annotations

import disquaire.consignment
from tests.layers import imports_outside

ALLOWED = {"disquaire.consignment", "disquaire.stock", "disquaire.catalog", "disquaire.core"}


def test_consignment_imports_only_stock_catalog_and_core() -> None:
    wrong = imports_outside(disquaire.consignment, ALLOWED)
    assert not wrong, wrong
