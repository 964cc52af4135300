"""`disquaire serve` answers /healthz with its background worker running."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from disquaire.core.management.commands.serve import default_threads
from tests.serving import disquaire_serving, free_port

pytestmark = pytest.mark.slow


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serve_answers_healthz_with_its_worker_running(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DISQUAIRE_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    with disquaire_serving(port=port, env=env):
        deadline = time.monotonic() + 90
        status, body = 0, b""
        while time.monotonic() < deadline:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
            except OSError:
                status = 0
            if status == 200:
                break
            time.sleep(0.3)
        assert status == 200, body
        health = json.loads(body)
        assert health["worker"]["workers"] == 1
        assert health["database"] == {"ok": True}  # no internals (vendor, errors)


@pytest.mark.parametrize(
    ("serving", "production", "stripe", "threads"),
    [
        ("direct", True, "", 16),
        ("direct", False, "sk_live_x", 8),
        ("x-accel", True, "", 2),
        ("s3", True, "", 2),
        ("x-accel", True, "sk_live_x", 4),
    ],
)
def test_threads_follow_what_the_app_waits_for(
    settings: Any, serving: str, production: bool, stripe: str, threads: int
) -> None:
    """A download served by the app holds a thread to its end; handed to nginx or S3,
    it does not, and fewer threads then serve faster — unless checkouts wait for
    Stripe's API."""
    settings.DISQUAIRE_FILE_SERVING = serving
    settings.DISQUAIRE_STRIPE_SECRET_KEY = stripe
    assert default_threads(production=production) == threads
