"""Production is decided before the settings load, and refuses to start unsafe."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks

from disquaire.cli import Refused, environment_prepare
from disquaire.config.env import secret_key_problem
from tests.serving import disquaire_serving, free_port

GOOD_KEY = "k3Y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DISQUAIRE_") and key != "DATABASE_URL"
    }
    env["DISQUAIRE_DATA_DIR"] = str(tmp_path / "data")
    env.update(extra)
    return env


def _run(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "disquaire", *args],
        env=_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_serve_production_sets_production_before_the_settings_load() -> None:
    environ: dict[str, str] = {}
    environment_prepare(["disquaire", "serve", "--production"], environ)
    assert environ["DISQUAIRE_PRODUCTION"] == "1"


def test_serve_production_against_a_setting_that_says_no_is_refused() -> None:
    with pytest.raises(Refused):
        environment_prepare(
            ["disquaire", "serve", "--production"], {"DISQUAIRE_PRODUCTION": "false"}
        )


def test_test_payments_are_not_offered_by_default(tmp_path: Path) -> None:
    code = "from django.conf import settings; print(','.join(settings.PAYMENT_PROVIDERS))"
    result = _run(tmp_path, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "stripe,manual"


@pytest.mark.parametrize(
    "key",
    [
        "change-me",
        "short-but-random-Zq8",
        "change-me-" + "x1y2z3" * 10,
        "a" * 60,
        "django-insecure-" + "q8w7e6r5t4y3u2i1o0p9" * 3,
    ],
)
def test_short_or_placeholder_keys_are_refused(key: str) -> None:
    assert secret_key_problem(key) is not None


def test_a_generated_key_is_accepted() -> None:
    import secrets

    assert secret_key_problem(secrets.token_urlsafe(50)) is None
    assert secret_key_problem(GOOD_KEY) is None


def test_production_with_the_example_key_refuses_to_start(tmp_path: Path) -> None:
    result = _run(tmp_path, "check", DISQUAIRE_PRODUCTION="1", DISQUAIRE_SECRET_KEY="change-me")
    assert result.returncode != 0
    assert "DISQUAIRE_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_serve_without_the_flag_while_settings_say_production_is_refused(
    tmp_path: Path,
) -> None:
    result = _run(
        tmp_path,
        "serve",
        "--no-migrate",
        DISQUAIRE_PRODUCTION="1",
        DISQUAIRE_SECRET_KEY=GOOD_KEY,
        DISQUAIRE_SITE_URL="https://shop.example.org",
    )
    assert result.returncode != 0
    assert "--production" in result.stderr


def test_check_deploy_names_what_makes_a_shop_unsafe(settings: Any) -> None:
    settings.SECRET_KEY = "change-me"
    settings.PAYMENT_PROVIDERS = ["manual", "test"]
    settings.SITE_URL = "http://shop.example.org"
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert {"disquaire.E001", "disquaire.W002", "disquaire.W003"} <= ids


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.mark.slow
def test_serve_production_turns_on_https_redirect_hsts_and_secure_cookies(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = _env(
        tmp_path,
        DISQUAIRE_SECRET_KEY=GOOD_KEY,
        DISQUAIRE_ALLOWED_HOSTS="127.0.0.1",
        DISQUAIRE_SITE_URL="https://shop.example.org",
    )
    opener = urllib.request.build_opener(_NoRedirect)
    serving = disquaire_serving(
        "--production", "--processes", "1", "--no-worker", port=port, env=env
    )
    with serving as server:
        deadline = time.monotonic() + 90
        status, headers = 0, {}
        while time.monotonic() < deadline:
            try:
                with opener.open(f"http://127.0.0.1:{port}/backstage/login/", timeout=5) as r:
                    status, headers = r.status, dict(r.headers)
            except urllib.error.HTTPError as exc:
                status, headers = exc.code, dict(exc.headers)
            except OSError:
                status = 0
            if status:
                break
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            time.sleep(0.3)
        # Plain HTTP is sent to HTTPS.
        assert status == 301 and headers["Location"].startswith("https://")
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/static/does-not-matter.css",
            headers={"X-Forwarded-Proto": "https"},
        )
        try:
            with opener.open(request, timeout=5) as r:
                static_status, static_headers = r.status, dict(r.headers)
        except urllib.error.HTTPError as exc:
            static_status, static_headers = exc.code, dict(exc.headers)
        # A file that does not exist: any answer over HTTPS carries HSTS.
        assert static_status == 404
        assert "max-age=" in static_headers.get("Strict-Transport-Security", "")
