"""DISQUAIRE_CACHE_URL picks the cache; with Redis, an edit in one process reaches another."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.http import HttpResponse
from django.test import RequestFactory

from disquaire.storefront import cache as page_cache

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# Database 15: the tests' own, so they never meet a development instance's keys on /0.
REDIS_URL = os.environ.get("DISQUAIRE_TEST_REDIS_URL", f"redis://{REDIS_HOST}:{REDIS_PORT}/15")


def _redis_reachable() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


needs_redis = pytest.mark.skipif(
    "DISQUAIRE_TEST_REDIS_URL" not in os.environ and not _redis_reachable(),
    reason=f"no Redis answering on {REDIS_HOST}:{REDIS_PORT} (start redis-server, "
    "or point DISQUAIRE_TEST_REDIS_URL at one)",
)


def _run_django(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new Python process with Django set up from the environment."""
    full_env = {
        **os.environ,
        "DISQUAIRE_DATA_DIR": str(tmp_path / "other"),
        "DJANGO_SETTINGS_MODULE": "disquaire.config.settings",
        **env,
    }
    full_env.pop("DATABASE_URL", None)
    for name, value in env.items():
        if value == "":
            full_env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _backend(tmp_path: Path, url: str) -> subprocess.CompletedProcess[str]:
    return _run_django(
        tmp_path,
        "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
        DISQUAIRE_CACHE_URL=url,
    )


def test_cache_is_in_process_memory_by_default(tmp_path: Path) -> None:
    done = _backend(tmp_path, "")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache"


def test_redis_url_selects_djangos_redis_cache(tmp_path: Path) -> None:
    done = _backend(tmp_path, "redis://127.0.0.1:6379/3")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "django.core.cache.backends.redis.RedisCache"


def test_unknown_cache_url_is_refused_at_start(tmp_path: Path) -> None:
    done = _backend(tmp_path, "memcached://127.0.0.1:11211")
    assert done.returncode != 0
    assert "DISQUAIRE_CACHE_URL" in done.stderr


@needs_redis
def test_two_redis_clients_share_entries() -> None:
    key = f"test:{uuid.uuid4().hex}"
    first = RedisCache(REDIS_URL, {"KEY_PREFIX": "disquaire"})
    second = RedisCache(REDIS_URL, {"KEY_PREFIX": "disquaire"})
    try:
        first.set(key, {"content": b"<p>page</p>"}, 30)
        assert second.get(key) == {"content": b"<p>page</p>"}
        second.delete(key)
        assert first.get(key) is None
    finally:
        first.close()
        second.close()


@needs_redis
def test_page_invalidated_by_another_process_through_redis(settings: Any, tmp_path: Path) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "disquaire",
        }
    }
    scope = page_cache.artist_scope(int(uuid.uuid4().int % 10**9) + 10**9)
    request = RequestFactory().get(f"/test-{uuid.uuid4().hex}/")
    renders: list[int] = []

    def render() -> HttpResponse:
        renders.append(1)
        return HttpResponse(f"<p>render {len(renders)}</p>")

    try:
        first = page_cache.cached_page(request, scope, render)
        again = page_cache.cached_page(request, scope, render)
        assert (first["X-Page-Cache"], again["X-Page-Cache"]) == ("miss", "hit")
        assert again.content == b"<p>render 1</p>"

        # Another process, as a second web process or a worker would: an edit bumps the
        # artist's generation in the shared cache.
        done = _run_django(
            tmp_path,
            f"from disquaire.storefront.cache import generation_bump; generation_bump({scope!r})",
            DISQUAIRE_CACHE_URL=REDIS_URL,
        )
        assert done.returncode == 0, done.stderr

        after = page_cache.cached_page(request, scope, render)
        assert after["X-Page-Cache"] == "miss"
        assert after.content == b"<p>render 2</p>"
    finally:
        # Generation numbers never expire: leave none behind in the tests' database.
        cache.delete_many([page_cache._generation_key(scope), page_cache.page_key(request, scope)])
