from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.payments.fake_stripe import fake_stripe

__all__ = ["fake_stripe"]

LOCK_FILE = Path(tempfile.gettempdir()) / "disquaire-concurrency-tests.lock"


@pytest.fixture(autouse=True)
def one_at_a_time(postgres_marked_tests_need_postgresql: None) -> Iterator[None]:
    """One concurrency test at a time across pytest-xdist workers: two 50-thread tests
    side by side would pass PostgreSQL's connection limit (100 by default)."""
    with LOCK_FILE.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
