"""What the dependency audit of `make lint` makes of pip-audit's report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from scripts.dependency_audit import ACCEPTED, Accepted, accepted_read, verdict

TODAY = dt.date(2026, 12, 4)


def _vulnerable(vuln_id: str = "GHSA-1111-2222-3333") -> dict[str, object]:
    return {
        "name": "somepackage",
        "version": "1.0",
        "vulns": [{"id": vuln_id, "fix_versions": ["1.1"]}],
    }


def test_a_network_where_no_package_could_be_audited_skips_the_audit_saying_so() -> None:
    report = {
        "dependencies": [
            {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be"},
            {"name": "stripe", "skip_reason": "Dependency not found on PyPI and could not be"},
        ]
    }

    result = verdict(report, [], TODAY)

    assert result.ok
    assert result.lines == [
        "dependency audit SKIPPED: PyPI's advisory service does not answer from this network "
        "(2 of 2 packages 'not found on PyPI')"
    ]


def test_a_known_vulnerability_fails_the_audit_and_names_the_fix() -> None:
    report = {"dependencies": [_vulnerable(), {"name": "django", "version": "5.2", "vulns": []}]}

    result = verdict(report, [], TODAY)

    assert not result.ok
    assert "somepackage 1.0: GHSA-1111-2222-3333 (fixed in 1.1)" in result.lines[0]


def test_a_clean_report_passes() -> None:
    report = {"dependencies": [{"name": "django", "version": "5.2", "vulns": []}]}

    result = verdict(report, [], TODAY)

    assert result.ok
    assert result.lines == ["dependency audit: 1 packages audited, none vulnerable"]


def test_an_accepted_advisory_past_its_review_date_fails_until_looked_at_again() -> None:
    report = {"dependencies": [{"name": "django", "version": "5.2", "vulns": []}]}
    old = Accepted("GHSA-1", "django", "not reachable", dt.date(2026, 1, 1))

    result = verdict(report, [old], TODAY)

    assert not result.ok
    assert "GHSA-1 (django) was to be reviewed by 2026-01-01" in result.lines[0]


def test_an_accepted_advisory_needs_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "accepted.toml"
    path.write_text(
        '[[advisory]]\nid = "GHSA-1"\npackage = "x"\nreason = ""\nreview_by = 2027-01-01\n'
    )

    with pytest.raises(ValueError, match="GHSA-1"):
        accepted_read(path)


def test_the_projects_accepted_advisories_file_reads() -> None:
    for entry in accepted_read(ACCEPTED):
        assert entry.reason and entry.review_by
