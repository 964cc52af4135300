from __future__ import annotations

from typing import Any

import pytest

from tests.payments.fake_stripe import fake_stripe, fake_stripe_api

__all__ = ["fake_stripe", "fake_stripe_api"]


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Any) -> None:
    """Receipts are background tasks: run them at once so tests see the mail."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
