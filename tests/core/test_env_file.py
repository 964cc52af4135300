"""`.env` files: read before the settings, from the working directory and the data dir,
the real environment winning over both."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from disquaire.config.env import EnvFileError, env_file_parse, env_files_load

NAMES = ("DQ_TEST_A", "DQ_TEST_B", "DQ_TEST_C", "DISQUAIRE_DATA_DIR", "DISQUAIRE_ENV_FILES")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_env_file_lines_are_read_with_comments_quotes_and_export() -> None:
    text = (
        "# a comment\n"
        "\n"
        "PLAIN=value\n"
        "export EXPORTED=yes\n"
        "SPACED = around \n"
        "URL=postgres://u@h:5432/db#frag\n"
        "COMMENTED=kept # dropped\n"
        "SINGLE='a # b \\n'\n"
        'DOUBLE="line\\none \\"quoted\\""\n'
        "EMPTY=\n"
    )
    assert env_file_parse(text) == {
        "PLAIN": "value",
        "EXPORTED": "yes",
        "SPACED": "around",
        "URL": "postgres://u@h:5432/db#frag",
        "COMMENTED": "kept",
        "SINGLE": "a # b \\n",
        "DOUBLE": 'line\none "quoted"',
        "EMPTY": "",
    }


@pytest.mark.parametrize(
    "line", ["no equals sign", "1BAD=x", "BAD NAME=x", 'OPEN="never closed', "Q='x' y"]
)
def test_a_malformed_env_file_line_is_named_in_the_error(line: str) -> None:
    with pytest.raises(EnvFileError, match=r"/srv/.env, line 2"):
        env_file_parse(f"GOOD=1\n{line}\n", name="/srv/.env")


def test_env_files_fill_in_what_the_environment_does_not_set(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    work, data = tmp_path / "work", tmp_path / "data-dir"
    work.mkdir()
    data.mkdir()
    (work / ".env").write_text(f"DISQUAIRE_DATA_DIR={data}\nDQ_TEST_A=from-work\n")
    (data / ".env").write_text("DQ_TEST_A=from-data\nDQ_TEST_B=from-data\nDQ_TEST_C=\n")
    clean_env.setenv("DQ_TEST_C", "from-environment")

    read = env_files_load(cwd=work)

    assert read == [(work / ".env").resolve(), (data / ".env").resolve()]
    # The working directory's file named the data dir, whose file was then read.
    assert os.environ["DISQUAIRE_DATA_DIR"] == str(data)
    # The working directory's file wins over the data dir's.
    assert os.environ["DQ_TEST_A"] == "from-work"
    assert os.environ["DQ_TEST_B"] == "from-data"
    # The real environment wins over both; an empty value sets nothing.
    assert os.environ["DQ_TEST_C"] == "from-environment"


def test_the_real_environment_wins_over_the_env_file(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("DQ_TEST_A=from-file\nDQ_TEST_B=from-file\n")
    clean_env.setenv("DQ_TEST_A", "from-environment")
    clean_env.setenv("DISQUAIRE_DATA_DIR", str(tmp_path / "nowhere"))
    env_files_load(cwd=tmp_path)
    assert os.environ["DQ_TEST_A"] == "from-environment"
    assert os.environ["DQ_TEST_B"] == "from-file"


def test_an_empty_value_keeps_the_default(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A copy of .env.example leaves most values empty: each means "the default"."""
    (tmp_path / ".env").write_text("DQ_TEST_A=\n")
    clean_env.setenv("DISQUAIRE_DATA_DIR", str(tmp_path / "nowhere"))
    env_files_load(cwd=tmp_path)
    assert "DQ_TEST_A" not in os.environ


def test_env_files_off_reads_none(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The test suite's switch: a developer's own .env must not change the tests."""
    (tmp_path / ".env").write_text("DQ_TEST_A=from-file\n")
    clean_env.setenv("DISQUAIRE_ENV_FILES", "off")
    assert env_files_load(cwd=tmp_path) == []
    assert "DQ_TEST_A" not in os.environ


def _settings_in(cwd: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "disquaire.config.settings", **env}
    for name in ("DATABASE_URL", "DISQUAIRE_DATA_DIR", "DISQUAIRE_SITE_URL", "DISQUAIRE_ENV_FILES"):
        if name not in env:
            full.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_come_from_the_env_file_of_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"DISQUAIRE_DATA_DIR={tmp_path / 'data'}\n"
        "DISQUAIRE_SITE_URL=https://shop.example.org/\n"
        "DISQUAIRE_TIME_ZONE=Europe/Paris\n"
    )
    result = _settings_in(
        tmp_path,
        "from django.conf import settings as s; "
        "print(s.DATA_DIR, s.SITE_URL, s.TIME_ZONE, 'shop.example.org' in s.ALLOWED_HOSTS)",
        DISQUAIRE_TIME_ZONE="America/Montreal",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        str(tmp_path / "data"),
        "https://shop.example.org",
        "America/Montreal",  # the environment wins
        "True",
    ]


def test_a_broken_env_file_stops_the_start_with_its_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DISQUAIRE_DEBUG=false\nthis is not a setting\n")
    result = _settings_in(tmp_path, "pass")
    assert result.returncode != 0
    assert ".env, line 2: expected NAME=value" in result.stderr
