"""Fail when the French catalogue misses a string, has a fuzzy or empty one, or is stale,
or when a form would show a French reader English words.

Run by `make lint`. Extraction uses Django's makemessages (GNU gettext's xgettext) into a
temporary copy, so the committed files are never touched by the check.

Forms (every ``forms.py`` and ``forms_*.py`` of our apps — the backstage's above all):
makemessages only sees strings marked for translation, so a label typed as a plain
string, a model field without a translated ``verbose_name`` (its label is then the
field's name), a help text computed in English at import time or a choice label left
bare would slip through. The check looks at every form class's fields (labels, help
texts, choices) in French, and at the source of those modules for plain strings given
as ``label=``, ``help_text=``, ``empty_label=`` or choices to fields added at run time.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
PO = PACKAGE / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def parse_po(text: str) -> list[dict[str, object]]:
    """A small .po reader: entries with msgid, msgid_plural, msgstr(s) and flags."""
    entries: list[dict[str, object]] = []
    current: dict[str, object] = {}
    key = ""

    def flush() -> None:
        if "msgid" in current:
            entries.append(dict(current))
        current.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            key = ""
            continue
        if line.startswith("#,"):
            current["flags"] = {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#~") or line.startswith("#"):
            continue
        else:
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$', line)
            if match:
                if match.group(1) == "msgid" and "msgid" in current:
                    flush()
                key = match.group(1)
                current[key] = _unescape(match.group(2))
            elif line.startswith('"') and key:
                current[key] = str(current[key]) + _unescape(line[1:-1])
    flush()
    return entries


def _unescape(text: str) -> str:
    return text.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def problems_in(entries: list[dict[str, object]]) -> list[str]:
    problems = []
    for entry in entries:
        msgid = entry.get("msgid")
        if not msgid:
            continue
        flags = entry.get("flags") or set()
        if "fuzzy" in flags:  # type: ignore[operator]
            problems.append(f"fuzzy: {msgid!r}")
        strings = [v for k, v in entry.items() if str(k).startswith("msgstr")]
        if not strings or any(not s for s in strings):
            problems.append(f"untranslated: {msgid!r}")
    return problems


def extracted_ids() -> set[tuple[str, str]] | None:
    if shutil.which("xgettext") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "disquaire"
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        (copy / "locale" / "fr" / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "disquaire.config.settings"}
        subprocess.run(
            [sys.executable, "-m", "django", "makemessages", "-l", "fr", "--no-obsolete",
             "--no-location", "-i", "tests/*"],
            cwd=copy, env=env, check=True, capture_output=True,
        )  # fmt: skip
        text = (copy / "locale" / "fr" / "LC_MESSAGES" / "django.po").read_text()
    return {(str(e.get("msgctxt", "")), str(e["msgid"])) for e in parse_po(text) if e.get("msgid")}


def stale_mo(entries: list[dict[str, object]]) -> list[str]:
    """Entries whose compiled translation differs from the catalogue (or no .mo at all)."""
    import gettext

    if not MO.exists():
        return ["django.mo is missing: run `make messages`"]
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in entries:
        msgid, msgstr = entry.get("msgid"), entry.get("msgstr")
        if not msgid or "msgid_plural" in entry or "msgctxt" in entry or not msgstr:
            continue
        if compiled.gettext(str(msgid)) != msgstr:
            stale.append(f"django.mo is out of date for {msgid!r}: run `make messages`")
    return stale


FORM_TEXT_KEYWORDS = ("label", "help_text", "empty_label", "placeholder")


def _has_words(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def _form_modules() -> list[str]:
    """Our apps' ``forms`` and ``forms_*`` modules (found, not listed: core names none)."""
    from django.apps import apps

    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("disquaire."):
            continue
        folder = Path(config.path)
        for path in sorted(folder.glob("forms*.py")):
            if path.stem == "forms" or path.stem.startswith("forms_"):
                found.append(f"{config.name}.{path.stem}")
    return found


def _untranslated(value: object, catalogue: set[str]) -> bool:
    """Would a French reader see ``value`` in English?"""
    from django.utils import translation
    from django.utils.functional import Promise

    if value is None:
        return False
    if not isinstance(value, Promise):
        return isinstance(value, str) and _has_words(value)
    with translation.override("en"):
        english = str(value)
    with translation.override("fr"):
        french = str(value)
    if not _has_words(english) or french != english:
        return False
    # The same in both: fine only when the catalogue says so (e.g. "Date", "Description").
    return english not in catalogue and english[:1].lower() + english[1:] not in catalogue


def _choice_labels(field: object) -> list[tuple[object, object]]:
    from django import forms

    if isinstance(field, forms.ModelChoiceField) or not hasattr(field, "choices"):
        return []
    pairs: list[tuple[object, object]] = []
    for value, label in getattr(field, "choices", []) or []:
        if isinstance(label, list | tuple):
            pairs.extend((v, inner) for v, inner in label)
        else:
            pairs.append((value, label))
    return pairs


def form_field_problems(catalogue: set[str]) -> list[str]:
    """Labels, help texts and choices of our form classes a French reader gets in English."""
    from django import forms

    problems = []
    for name in _form_modules():
        module = importlib.import_module(name)
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, forms.BaseForm) or cls.__module__ != name:
                continue
            for field_name, field in cls.base_fields.items():  # type: ignore[attr-defined]
                where = f"{name}.{cls_name}.{field_name}"
                if _untranslated(field.label, catalogue):
                    problems.append(f"untranslated form label {field.label!s:.60}: {where}")
                if _untranslated(field.help_text, catalogue):
                    problems.append(f"untranslated help text {field.help_text!s:.60}: {where}")
                for value, label in _choice_labels(field):
                    if str(label) == str(value):
                        continue  # a code shown as itself ("EUR")
                    if _untranslated(label, catalogue):
                        problems.append(f"untranslated choice {label!s:.60}: {where}")
    return problems


def _plain(node: ast.AST) -> str | None:
    """The text of a plain (unmarked) string literal or f-string, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant)) or "{...}"
    return None


def form_source_problems(sources: list[Path]) -> list[str]:
    """Plain strings given as a field's label, help text or choice labels in form modules
    (fields added in ``__init__`` are not in ``base_fields``)."""
    problems = []
    for path in sources:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg in FORM_TEXT_KEYWORDS:
                    text = _plain(keyword.value)
                    if text and _has_words(text):
                        problems.append(
                            f"{path.name}:{keyword.value.lineno}: {keyword.arg} {text!r:.60} "
                            "is not marked for translation"
                        )
                elif keyword.arg == "choices" and isinstance(keyword.value, ast.List | ast.Tuple):
                    for item in keyword.value.elts:
                        if isinstance(item, ast.Tuple) and len(item.elts) == 2:
                            text = _plain(item.elts[1])
                            value = _plain(item.elts[0])
                            if text and _has_words(text) and text != value:
                                problems.append(
                                    f"{path.name}:{item.lineno}: choice {text!r:.60} "
                                    "is not marked for translation"
                                )
    return problems


def form_problems(entries: list[dict[str, object]]) -> list[str]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "disquaire.config.settings")
    django.setup()
    catalogue = {
        str(e["msgid"])
        for e in entries
        if e.get("msgid") and all(v for k, v in e.items() if str(k).startswith("msgstr"))
    }
    sources = [Path(importlib.import_module(name).__file__ or "") for name in _form_modules()]
    return form_field_problems(catalogue) + form_source_problems(sources)


def main() -> int:
    if not PO.exists():
        print(f"i18n: {PO} is missing")
        return 1
    entries = parse_po(PO.read_text())
    problems = problems_in(entries)
    have = {(str(e.get("msgctxt", "")), str(e["msgid"])) for e in entries if e.get("msgid")}
    wanted = extracted_ids()
    if wanted is None:
        print("i18n: xgettext (GNU gettext) not found: only checked the catalogue itself")
    else:
        problems += [f"missing from the French catalogue: {m!r}" for _, m in sorted(wanted - have)]
    problems += stale_mo(entries)
    problems += form_problems(entries)
    for problem in problems:
        print(f"i18n: {problem}")
    if problems:
        print(f"i18n: {len(problems)} problem(s) in the French catalogue")
        return 1
    print(f"i18n: French catalogue complete ({len(have)} strings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
