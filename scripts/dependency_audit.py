"""Audit the installed Python packages for known vulnerabilities (``make lint``).

Runs ``pip-audit`` on the virtualenv with PyPI's advisory service (the ``vulnerabilities``
of PyPI's JSON API, fed by the PyPA advisory database and OSV). Advisories accepted in
``accepted-advisories.toml`` are passed as ``--ignore-vuln``; any other one fails.

Where that service does not answer — a network that reaches only a package mirror, which
serves the packages but not the JSON API, so every package comes back "not found on
PyPI" — the audit is skipped with one line that says so, rather than passing in silence
or failing the build for the network's sake.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ACCEPTED = ROOT / "accepted-advisories.toml"
TIMEOUT = 300


@dataclass(frozen=True)
class Accepted:
    id: str
    package: str
    reason: str
    review_by: dt.date


def accepted_read(path: Path = ACCEPTED) -> list[Accepted]:
    """The accepted advisories; ValueError for an entry without its reason or date."""
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    found = []
    for entry in data.get("advisory", []):
        missing = {"id", "package", "reason", "review_by"} - entry.keys()
        if missing or not str(entry.get("reason", "")).strip():
            raise ValueError(f"{path.name}: {entry.get('id', '?')} needs {sorted(missing)}")
        if not isinstance(entry["review_by"], dt.date):
            raise ValueError(f"{path.name}: review_by of {entry['id']} is not a date")
        found.append(Accepted(entry["id"], entry["package"], entry["reason"], entry["review_by"]))
    return found


@dataclass(frozen=True)
class Verdict:
    ok: bool
    lines: list[str]


def verdict(report: dict[str, Any], accepted: list[Accepted], today: dt.date) -> Verdict:
    """What pip-audit's JSON ``report`` means for the build."""
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    skipped = [d for d in dependencies if "skip_reason" in d]
    expired = [a for a in accepted if a.review_by < today]
    lines = [
        f"accepted advisory {a.id} ({a.package}) was to be reviewed by {a.review_by}: "
        "review it, then move the date or remove the entry"
        for a in expired
    ]
    if dependencies and not audited:
        lines.append(
            f"dependency audit SKIPPED: PyPI's advisory service does not answer from this "
            f"network ({len(skipped)} of {len(dependencies)} packages 'not found on PyPI')"
        )
        return Verdict(ok=not expired, lines=lines)
    vulnerable = [(d, v) for d in audited for v in d.get("vulns", [])]
    for dependency, vuln in vulnerable:
        fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
        lines.append(
            f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed}) — "
            "upgrade, or accept it with a reason in accepted-advisories.toml"
        )
    summary = f"dependency audit: {len(audited)} packages audited"
    if skipped:
        summary += f", {len(skipped)} not found on PyPI (not audited)"
    if accepted:
        summary += f", {len(accepted)} accepted advisories ignored"
    summary += f", {len(vulnerable)} vulnerable" if vulnerable else ", none vulnerable"
    lines.append(summary)
    return Verdict(ok=not vulnerable and not expired, lines=lines)


def main() -> int:
    accepted = accepted_read()
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--skip-editable",
        "--progress-spinner",
        "off",
        "--format",
        "json",
        *(argument for a in accepted for argument in ("--ignore-vuln", a.id)),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        report = json.loads(done.stdout)
    except subprocess.TimeoutExpired:
        print(f"dependency audit SKIPPED: PyPI's advisory service did not answer in {TIMEOUT} s")
        return 0
    except ValueError:
        # No report at all: pip-audit could not reach its service (or failed otherwise).
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
        print(f"dependency audit SKIPPED: pip-audit could not run its audit ({reason})")
        return 0
    result = verdict(report, accepted, dt.date.today())
    for line in result.lines:
        print(line)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
