from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from disquaire.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_healthz_is_503_without_a_live_worker(client: Client) -> None:
    WorkerHeartbeat.objects.create(
        worker_id="old", last_seen=timezone.now() - timedelta(minutes=10)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["database"]["ok"] and body["storage"]["ok"]
    assert body["worker"] == {"ok": False, "workers": 0, "tasks_waiting": 0}


def test_healthz_is_200_with_database_storage_and_a_fresh_worker(client: Client) -> None:
    WorkerHeartbeat.objects.create(worker_id="w1", last_seen=timezone.now())
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["worker"]["workers"] == 1
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_reports_a_broken_storage(client: Client, settings: object) -> None:
    WorkerHeartbeat.objects.create(worker_id="w1", last_seen=timezone.now())
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "disquaire.core.storage.AtomicFileSystemStorage",
            "OPTIONS": {"location": "/proc/disquaire-cannot-write-here"},
        },
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["storage"] == {"ok": False}


def test_healthz_is_hidden_from_other_machines(client: Client, settings: Any) -> None:
    settings.DISQUAIRE_HEALTHZ_TOKEN = "monitor-token-0123456789"
    assert client.get("/healthz", REMOTE_ADDR="203.0.113.9").status_code == 404
    # nginx on this machine passes the visitor's address on: still someone else.
    forwarded = client.get("/healthz", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert forwarded.status_code == 404
    wrong = client.get(
        "/healthz", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer not-the-token"
    )
    assert wrong.status_code == 404


def test_a_monitor_with_the_token_sees_health_from_elsewhere(client: Client, settings: Any) -> None:
    settings.DISQUAIRE_HEALTHZ_TOKEN = "monitor-token-0123456789"
    WorkerHeartbeat.objects.create(worker_id="w1", last_seen=timezone.now())
    response = client.get(
        "/healthz",
        REMOTE_ADDR="203.0.113.9",
        HTTP_AUTHORIZATION="Bearer monitor-token-0123456789",
    )
    assert response.status_code == 200


def test_healthz_writes_nothing_to_storage(client: Client, isolated_files: Path) -> None:
    WorkerHeartbeat.objects.create(worker_id="w1", last_seen=timezone.now())
    isolated_files.mkdir(parents=True, exist_ok=True)
    before = sorted(isolated_files.rglob("*"))
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert sorted(isolated_files.rglob("*")) == before


def test_a_failed_check_tells_no_internals(client: Client, monkeypatch: Any) -> None:
    from disquaire.core import views

    def broken() -> dict[str, object]:
        raise RuntimeError("password=hunter2 at db.internal:5432")

    monkeypatch.setattr(views, "_check_database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False}
    assert b"hunter2" not in response.content and b"internal" not in response.content
