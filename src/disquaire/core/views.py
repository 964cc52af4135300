from __future__ import annotations

import ipaddress
import logging
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from disquaire.core import replica
from disquaire.core.http import bearer_matches
from disquaire.core.models import WorkerHeartbeat
from disquaire.core.ratelimit import client_ip

WORKER_FRESH = timedelta(seconds=60)
logger = logging.getLogger(__name__)


def _check_database() -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _check_storage() -> dict[str, object]:
    """Whether the storage can be reached and written to, without storing anything: a
    health check runs every few seconds and must leave nothing behind (on S3, one read
    request; locally, a nameless temporary file that never holds a byte)."""
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        # The media folder, or the nearest folder above it that exists (a fresh install
        # creates the folder on its first upload).
        path = Path(storage.location)
        while not path.exists() and path != path.parent:
            path = path.parent
        with tempfile.TemporaryFile(dir=path):
            pass
        return {"ok": True}
    storage.exists("healthz")
    return {"ok": True}


def _check_worker() -> dict[str, object]:
    from django_tasks_db.models import DBTaskResult

    fresh = WorkerHeartbeat.objects.filter(last_seen__gte=timezone.now() - WORKER_FRESH)
    alive = fresh.count()
    waiting = DBTaskResult.objects.ready().count()
    return {"ok": alive > 0, "workers": alive, "tasks_waiting": waiting}


def _may_see_health(request: HttpRequest) -> bool:
    """The machine itself (loopback, after believing a trusted proxy's X-Forwarded-For)
    or a monitor with DISQUAIRE_HEALTHZ_TOKEN (``Authorization: Bearer <token>``)."""
    try:
        if ipaddress.ip_address(client_ip(request)).is_loopback:
            return True
    except ValueError:
        pass
    return bearer_matches(request, settings.DISQUAIRE_HEALTHZ_TOKEN)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, storage and worker status: 200 when all are healthy, 503 otherwise;
    with a read replica configured, its state too (reachable, lag), which does not
    change the status.

    Answered to the machine itself and to a monitor holding the token only (404 to
    anyone else); a failure is logged, and the answer says only which check failed.
    """
    if not _may_see_health(request):
        raise Http404
    checks: dict[str, dict[str, object]] = {}
    for name, check in (
        ("database", _check_database),
        ("storage", _check_storage),
        ("worker", _check_worker),
    ):
        try:
            checks[name] = check()
        except Exception:  # a health check reports every failure, whatever it is
            logger.exception("health check %s failed", name)
            checks[name] = {"ok": False}
    healthy = all(item["ok"] for item in checks.values())
    if replica.replica_configured():
        # Told, not counted in the status: while the replica is away the reports read
        # the primary, so the machine still serves everything and stays in the upstream.
        checks["replica"] = replica.replica_state()
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
