"""Run one fuzz target with atheris (libFuzzer): ``python -m tests.fuzz.run <target>
<workdir> [libFuzzer options...] [input files...]``, e.g. ``-max_total_time=60``; given
input files (a ``crash-...`` found earlier) are replayed once each instead.

The work directory holds the target's data (database, files) and its corpus, which
grows from the target's seeds and is kept between runs; a finding is written there as
``crash-<sha1>`` and the run ends with a non-zero status and the traceback.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("DISQUAIRE_FUZZ_CACHE", ROOT / "var" / "fuzz-cache"))


def _database_ready(path: Path, call_command: Any) -> None:
    """A migrated database at ``path``: a copy of the one migrated for the current
    migrations, made once (migrating takes longer than a short fuzzing run)."""
    import django

    digest = hashlib.sha256(django.__version__.encode())
    for migration in sorted((ROOT / "src").glob("disquaire/*/migrations/*.py")):
        digest.update(migration.read_bytes())
    template = CACHE / f"migrated-{digest.hexdigest()[:16]}.sqlite3"
    path.unlink(missing_ok=True)
    if template.exists():
        _sqlite_copy(template, path)
        return
    call_command("migrate", verbosity=0, interactive=False)
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = template.with_suffix(f".{os.getpid()}.tmp")
    _sqlite_copy(path, partial)
    partial.replace(template)  # atomic: another run may be making the same one


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy a database through SQLite's backup API: its write-ahead log included, which a
    copy of the file alone would miss."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def main(argv: list[str]) -> None:
    name, workdir, options = argv[1], Path(argv[2]).resolve(), argv[3:]
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "disquaire.config.settings"
    os.environ["DISQUAIRE_DATA_DIR"] = str(workdir / "data")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'fuzz.sqlite3'}"
    os.environ["DISQUAIRE_CACHE_URL"] = ""

    import atheris

    from tests.fuzz.targets import TARGETS

    target = TARGETS[name]
    with atheris.instrument_imports(include=list(target.instrument)):
        import django

        django.setup()
        from django.core.management import call_command
        from django.test.utils import setup_test_environment

        setup_test_environment()
        if target.database:
            _database_ready(workdir / "fuzz.sqlite3", call_command)
        one_input, seeds = target.prepare(workdir)

    # Refused requests are logged as warnings: thousands of lines that say nothing here.
    logging.disable(logging.CRITICAL)
    inputs = [option for option in options if not option.startswith("-")]
    if not inputs:  # fuzz from the corpus; given files are replayed once each instead
        corpus = workdir / "corpus"
        corpus.mkdir(exist_ok=True)
        for number, seed in enumerate(seeds):
            (corpus / f"seed-{number}").write_bytes(seed)
        inputs = [str(corpus)]
    flags = [option for option in options if option.startswith("-")]
    atheris.Setup([argv[0], *flags, f"-artifact_prefix={workdir}/", *inputs], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
