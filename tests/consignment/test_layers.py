"""Consignment sits above stock and below storefront and backstage: it imports stock,
catalog and core only (the storefront and the backstage import its selectors)."""

from __future__ import annotations

import ast
from pathlib import Path

import disquaire.consignment

ALLOWED = {"disquaire.consignment", "disquaire.stock", "disquaire.catalog", "disquaire.core"}


def test_consignment_imports_only_stock_catalog_and_core() -> None:
    root = Path(disquaire.consignment.__file__).parent
    wrong = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                if name.startswith("disquaire") and not any(
                    name == room or name.startswith(room + ".") for room in ALLOWED
                ):
                    wrong.append(f"{path.relative_to(root)}: {name}")
    assert not wrong, wrong
