"""What a room imports of ours beyond the rooms it may use (for the rooms' layer tests)."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType


def imports_outside(room: ModuleType, allowed: set[str]) -> list[str]:
    """Every ``disquaire`` import in ``room``'s files that names none of ``allowed``."""
    root = Path(str(room.__file__)).parent
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
                    name == ok or name.startswith(ok + ".") for ok in allowed
                ):
                    wrong.append(f"{path.relative_to(root)}: {name}")
    return wrong
