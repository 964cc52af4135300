"""Shared fixtures: isolated media per test, factories, generated audio, an S3 server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serving import free_port

# Chromium, Playwright and the live server for every `@pytest.mark.browser` test.
pytest_plugins = ["tests.browser_plugin"]


@pytest.fixture(autouse=True)
def postgres_marked_tests_need_postgresql(request: pytest.FixtureRequest) -> None:
    """A test marked ``postgres`` (row locks, PostgreSQL settings) is skipped on SQLite,
    which serialises every writer: run it with DATABASE_URL=postgres://..."""
    if request.node.get_closest_marker("postgres") is not None:
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://...")


@pytest.fixture(autouse=True)
def isolated_files(settings: Any, tmp_path: Path) -> Path:
    """Each test gets its own media and scratch directories."""
    media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "disquaire.core.storage.AtomicFileSystemStorage",
            "OPTIONS": {"location": str(media), "base_url": "/media/"},
        },
    }
    settings.SCRATCH_DIR = tmp_path / "scratch"
    # Files the app keeps beside the database (the setup code) are each test's own too.
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.SITE_URL = "http://testserver"
    return media


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """The cache (rate counters, cached pages) outlives a test: each test starts with an
    empty one, and leaves none behind."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def test_payments_offered(settings: Any) -> None:
    """The suite pays with the test provider, which a shop offers only when listed (the
    demo lists it; the default does not, see tests/core/test_production.py)."""
    settings.PAYMENT_PROVIDERS = ["stripe", "manual", "test"]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 for the whole session; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_storage(settings: Any, s3_server: str) -> str:
    """Switch the default storage to a fresh bucket on the moto server."""
    import uuid

    import boto3

    bucket = f"disquaire-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_server,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }
    return bucket
