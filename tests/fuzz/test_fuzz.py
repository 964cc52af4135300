"""Fuzz each parser of untrusted input with atheris for a bounded time.

``DISQUAIRE_FUZZ_SECONDS`` seconds per target (3 in ``make test``; ``make fuzz`` runs 60,
with ``FUZZ_SECONDS=...`` to change it). Each target runs in its own process (libFuzzer
ends its process when done), from its seeds plus the corpus kept in
``DISQUAIRE_FUZZ_DIR`` when set (``make fuzz`` keeps ``var/fuzz``, so runs build on each
other). A finding fails the test with the traceback and the input in base64: add it as
a regression test of the code it broke, then fix that code.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.targets import TARGETS

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.fuzz
pytest.importorskip("atheris", reason="atheris is not installed (it has wheels for Linux)")


def _seconds() -> int:
    return max(1, int(os.environ.get("DISQUAIRE_FUZZ_SECONDS", "3")))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzzing_finds_no_crash(name: str, tmp_path: Path) -> None:
    kept = os.environ.get("DISQUAIRE_FUZZ_DIR")
    workdir = Path(kept) / name if kept else tmp_path / name
    seconds = _seconds()
    command = [
        sys.executable,
        "-m",
        "tests.fuzz.run",
        name,
        str(workdir),
        f"-max_total_time={seconds}",
        # One input may take a while on a loaded machine; one that takes this long hangs.
        "-timeout=60",
        "-rss_limit_mb=2048",
        "-max_len=65536",
    ]
    done = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + 600,  # setup (migrations, seeds by ffmpeg) on a busy machine
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if done.returncode == 0:
        assert "Done " in done.stderr, done.stderr[-2000:]
        return
    found = sorted(workdir.glob("crash-*")) + sorted(workdir.glob("timeout-*"))
    found += sorted(workdir.glob("oom-*"))
    inputs = "\n".join(
        f"{path.name}: {base64.b64encode(path.read_bytes()[:4096]).decode()}" for path in found
    )
    pytest.fail(
        f"fuzzing {name!r} found a failure (exit {done.returncode}).\n"
        f"Input(s), base64 (replay: python -m tests.fuzz.run {name} <dir> <file>):\n"
        f"{inputs or '(none written)'}\n\n{done.stderr[-6000:]}",
        pytrace=False,
    )
