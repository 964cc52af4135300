from __future__ import annotations

from datetime import timedelta

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
    assert response.json()["storage"]["ok"] is False
