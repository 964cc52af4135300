"""Fixtures of the browser tests, a plugin loaded by tests/conftest.py.

Debian's Chromium driven by Playwright against pytest-django's live server.

One browser for the whole session, a fresh context (cookies, storage) per test. Without
Chromium every test here is skipped, loudly; without axe-core (``npm ci``) only the
accessibility scan is.
"""

from __future__ import annotations

import http.server
import os
import shutil
import threading
import warnings
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]

TIMEOUT_MS = 15_000
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def _skip_loudly(reason: str) -> None:
    warnings.warn(f"BROWSER TESTS SKIPPED: {reason}", stacklevel=2)
    pytest.skip(f"!!! {reason}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        _skip_loudly("Chromium not found (apt-get install chromium)")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def playwright_session(chromium_path: str) -> Iterator[Any]:
    """Playwright's driver, one for the session (its sync API allows one per thread)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, which Django takes for an
    # async context; the database is only ever used synchronously here.
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


def chromium_launch(playwright: Any, chromium_path: str, *extra_args: str) -> Any:
    """Chromium with the suite's arguments and ``extra_args`` (a fake camera...)."""
    return playwright.chromium.launch(
        executable_path=chromium_path, headless=True, args=[*CHROMIUM_ARGS, *extra_args]
    )


@pytest.fixture(scope="session")
def browser(playwright_session: Any, chromium_path: str) -> Iterator[Any]:
    launched = chromium_launch(playwright_session, chromium_path)
    yield launched
    launched.close()


@pytest.fixture(autouse=True)
def _browser_env(request: pytest.FixtureRequest) -> Iterator[None]:
    """For browser tests: absolute addresses (embed code, oEmbed) name the live server,
    the page cache is emptied by tests/conftest.py. Other tests are left alone."""
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    settings = request.getfixturevalue("settings")
    live_server = request.getfixturevalue("live_server")
    settings.SITE_URL = live_server.url
    yield


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """``new_page(**context_options)``: a page in a fresh browser context."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


@pytest.fixture
def axe_path() -> Path:
    if not AXE.exists():
        _skip_loudly(f"axe-core not installed ({AXE}): run `npm ci` (make test-browser does)")
    return AXE


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def other_origin(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """``other_origin(html)``: serve ``html`` from another site (``localhost`` on its own
    port, while the app is on 127.0.0.1) and return the page's address."""
    folder = tmp_path / "other-site"
    folder.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_Quiet, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def publish(html: str) -> str:
        (folder / "index.html").write_text(html)
        return f"http://localhost:{server.server_address[1]}/index.html"

    yield publish
    server.shutdown()
    server.server_close()
