from __future__ import annotations

import uuid
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from disquaire.core.models import WorkerHeartbeat

WORKER_FRESH = timedelta(seconds=60)


def _check_database() -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def _check_storage() -> dict[str, object]:
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        with default_storage.open(name, "rb") as handle:
            ok = handle.read() == b"ok"
    finally:
        default_storage.delete(name)
    return {"ok": ok, "backend": type(default_storage._wrapped).__name__}  # type: ignore[attr-defined]


def _check_worker() -> dict[str, object]:
    from django_tasks_db.models import DBTaskResult

    fresh = WorkerHeartbeat.objects.filter(last_seen__gte=timezone.now() - WORKER_FRESH)
    alive = fresh.count()
    waiting = DBTaskResult.objects.ready().count()
    return {"ok": alive > 0, "workers": alive, "tasks_waiting": waiting}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, storage and worker status: 200 when all are healthy, 503 otherwise."""
    checks: dict[str, dict[str, object]] = {}
    for name, check in (
        ("database", _check_database),
        ("storage", _check_storage),
        ("worker", _check_worker),
    ):
        try:
            checks[name] = check()
        except Exception as exc:  # a health check reports every failure, whatever it is
            checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    healthy = all(item["ok"] for item in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", **checks}, status=200 if healthy else 503
    )


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format, for a bearer of DISQUAIRE_METRICS_TOKEN or an address in
    DISQUAIRE_METRICS_ALLOW; 404 when neither is configured (core.metrics)."""
    from disquaire.core.metrics import metrics_allowed, metrics_exposition

    allowed = metrics_allowed(request)
    if allowed is None:
        raise Http404
    if not allowed:
        response = HttpResponse("Forbidden\n", status=403, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics_exposition()
    return HttpResponse(body, content_type=content_type)
