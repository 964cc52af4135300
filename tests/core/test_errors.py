"""A database away for a moment answers a clean 503 to retry, not a 500."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from disquaire.storefront import selectors

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("terminating connection due to administrator command"),
        InterfaceError("connection already closed"),
    ],
)
def test_database_restarting_under_a_page_answers_503_with_retry_after(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def away() -> None:
        raise error

    monkeypatch.setattr(selectors, "home_page", away)

    response = Client(raise_request_exception=False).get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"
    assert b"try the same again" in response.content


def test_other_errors_stay_500(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise ValueError("a bug")

    monkeypatch.setattr(selectors, "home_page", broken)

    response = Client(raise_request_exception=False).get("/")

    assert response.status_code == 500
    assert "Retry-After" not in response
