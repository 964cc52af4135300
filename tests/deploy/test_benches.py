"""Every benchmark still finds what it takes from Disquaire: a module moved in src must not
silently stop `make bench` (the benches import inside functions, after Django is set up,
so importing the file is not enough: each `from disquaire… import …` is checked)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
FILES = sorted(BENCH.glob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_benchmark_module_imports(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    if not path.stem.startswith("_"):
        assert callable(getattr(module, "main", None)), f"{path.name} has no main()"


def _missing_names(tree: ast.AST) -> list[str]:
    """The names of ``from disquaire… import …`` in ``tree`` that are gone."""
    missing = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("disquaire"):
            try:
                module = importlib.import_module(node.module or "")
            except ImportError:
                missing.append(f"{node.module} (line {node.lineno})")
                continue
            for alias in node.names:
                if not hasattr(module, alias.name):
                    try:
                        importlib.import_module(f"{node.module}.{alias.name}")
                    except ImportError:
                        missing.append(f"{node.module}.{alias.name} (line {node.lineno})")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("disquaire"):
                    importlib.import_module(alias.name)
    return missing


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_name_a_benchmark_takes_from_disquaire_exists(path: Path) -> None:
    missing = _missing_names(ast.parse(path.read_text(), str(path)))
    assert not missing, f"{path.name} takes names that are gone: {missing}"


def test_the_screenshot_script_takes_names_that_exist() -> None:
    """docs/screenshots.py, and the code it hands to `disquaire shell -c` (kept in its
    strings), import only what is still there."""
    path = BENCH.parent / "docs" / "screenshots.py"
    tree = ast.parse(path.read_text(), str(path))
    trees: list[ast.AST] = [tree]
    for node in ast.walk(tree):
        text = node.value if isinstance(node, ast.Constant) else None
        if isinstance(text, str) and "from disquaire" in text:
            trees.append(ast.parse(text))
    assert len(trees) > 1, "the shell code of the script was not found"
    missing = [name for found in trees for name in _missing_names(found)]
    assert not missing, f"docs/screenshots.py takes names that are gone: {missing}"
