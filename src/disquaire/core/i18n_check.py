"""Fail when the French catalogue misses a string, has a fuzzy or empty one, or is stale.

Run by `make lint`. Extraction uses Django's makemessages (GNU gettext's xgettext) into a
temporary copy, so the committed files are never touched by the check.
"""

from __future__ import annotations

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
    for problem in problems:
        print(f"i18n: {problem}")
    if problems:
        print(f"i18n: {len(problems)} problem(s) in the French catalogue")
        return 1
    print(f"i18n: French catalogue complete ({len(have)} strings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
