"""/metrics for the operator, request ids from nginx to the worker, and JSON logs."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY

from disquaire.catalog.selectors import encodes_metrics
from disquaire.core.logs import JsonFormatter, RequestIdFilter, request_id_reset, request_id_set
from disquaire.core.worker import tasks_metrics
from disquaire.orders.models import OrderState
from disquaire.orders.selectors import orders_metrics
from tests.factories import TrackFactory
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db

TOKEN = "a-long-metrics-token"
CACHED = "cached-page"


HEALTH_TOKEN = "health-monitor-token"


def _wsgi(path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
    """One request through the whole WSGI application, as gunicorn makes it."""
    from wsgiref.util import setup_testing_defaults

    from disquaire.config.wsgi import application

    environ: dict[str, Any] = {"PATH_INFO": path, "REQUEST_METHOD": "GET"}
    environ.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    setup_testing_defaults(environ)
    environ["SERVER_NAME"] = environ["HTTP_HOST"] = "localhost"
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], *_: Any) -> None:
        seen["status"], seen["headers"] = status, dict(response_headers)

    # As Django's test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = application(environ, start_response)
        body = b"".join(response)
        getattr(response, "close", lambda: None)()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return seen["status"], seen["headers"], body


def _requests(route: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "disquaire_http_requests_total", {"route": route, "method": "GET", "status": status}
    )
    return value or 0.0


def test_metrics_are_off_unless_a_token_or_a_network_is_configured(client: Client) -> None:
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_token(client: Client, settings: Any) -> None:
    settings.DISQUAIRE_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    for name in (
        "disquaire_http_requests_total",
        "disquaire_http_request_duration_seconds",
        "disquaire_task_queue_depth",
        "disquaire_task_queue_oldest_age_seconds",
        "disquaire_orders",
        "disquaire_renditions",
        "disquaire_track_encode_seconds",
    ):
        assert f"# HELP {name} " in text, name


def test_metrics_open_to_an_allowed_network_only(client: Client, settings: Any) -> None:
    settings.DISQUAIRE_METRICS_ALLOW = ["10.0.0.0/8", "::1"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.9").status_code == 403
    # The forwarded address is never believed: only the peer's own.
    forwarded = client.get("/metrics", REMOTE_ADDR="192.168.1.9", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert forwarded.status_code == 403


def test_requests_are_counted_by_route_pattern_and_status(settings: Any) -> None:
    settings.DISQUAIRE_METRICS_TOKEN = TOKEN
    settings.DISQUAIRE_HEALTHZ_TOKEN = HEALTH_TOKEN  # /healthz answers its monitor only
    before_ok = _requests("/healthz", "200") + _requests("/healthz", "503")
    before_missing = _requests("unmatched", "404")
    artist = OfferFactory().artist
    before_page = _requests("/<slug:artist>/", "200")

    _wsgi("/healthz", authorization=f"Bearer {HEALTH_TOKEN}")
    _wsgi("/no/such/page/at/all/")
    _wsgi(f"/{artist.slug}/")

    assert _requests("/healthz", "200") + _requests("/healthz", "503") == before_ok + 1
    assert _requests("unmatched", "404") == before_missing + 1
    assert _requests("/<slug:artist>/", "200") == before_page + 1
    count = REGISTRY.get_sample_value(
        "disquaire_http_request_duration_seconds_count", {"route": "/<slug:artist>/"}
    )
    assert count and count >= 1


def test_requests_are_not_counted_while_metrics_are_off() -> None:
    before = _requests("/healthz", "200") + _requests("/healthz", "503")
    _status, headers, _body = _wsgi("/healthz")
    assert _requests("/healthz", "200") + _requests("/healthz", "503") == before
    assert headers["X-Request-ID"]


def test_the_proxys_request_id_is_sent_back_and_a_bad_one_replaced() -> None:
    _status, headers, _body = _wsgi("/healthz", x_request_id="0123456789abcdef0123456789abcdef")
    assert headers["X-Request-ID"] == "0123456789abcdef0123456789abcdef"

    _status, headers, _body = _wsgi("/healthz", x_request_id="<script>")
    assert headers["X-Request-ID"] != "<script>" and len(headers["X-Request-ID"]) == 32

    _status, headers, _body = _wsgi("/healthz")
    assert len(headers["X-Request-ID"]) == 32


def test_a_task_enqueued_during_a_request_is_logged_by_the_worker_with_its_id(
    settings: Any,
) -> None:
    from django_tasks_db.models import DBTaskResult

    from disquaire.catalog.tasks import release_retag_task
    from disquaire.core.worker import _worker_class

    settings.TASKS = {
        "default": {"BACKEND": "disquaire.core.tasks_backend.RequestIdDatabaseBackend"}
    }
    release = TrackFactory().release
    token = request_id_set("req-from-nginx-42")
    try:
        result = release_retag_task.enqueue(release.pk)
    finally:
        request_id_reset(token)
    row = DBTaskResult.objects.get(id=result.id)
    assert row.args_kwargs["request_id"] == "req-from-nginx-42"
    assert row.args_kwargs["args"] == [release.pk]

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("disquaire")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        worker = _worker_class()(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=1,
            worker_id="test-worker",
            excluded_queue_names=[],
        )
        # What the worker's loop does with the row it claimed (the loop itself closes
        # the test's database connection between tasks).
        row.claim("test-worker")
        worker.run_task(row)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    ended = [line for line in lines if "ended" in line["message"]]
    assert ended and ended[-1]["request_id"] == "req-from-nginx-42"
    assert ended[-1]["task"].endswith("release_retag_task")
    assert DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL"


def test_json_logs_are_one_object_a_line_with_the_request_id() -> None:
    record = logging.LogRecord("disquaire.x", logging.ERROR, __file__, 1, "bad %s", ("x",), None)
    token = request_id_set("abcdef0123456789")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_reset(token)
    data = json.loads(JsonFormatter().format(record))
    assert data["message"] == "bad x"
    assert (data["level"], data["logger"], data["request_id"]) == (
        "ERROR",
        "disquaire.x",
        "abcdef0123456789",
    )


def test_database_figures_count_orders_by_state_tasks_waiting_and_encodes(settings: Any) -> None:
    order_for(OfferFactory())
    TrackFactory(encode_seconds=3.5)
    TrackFactory(encode_seconds=40.0)

    (orders,) = orders_metrics()
    by_state = {labels[0]: value for labels, value in orders.samples}
    assert set(by_state) == set(OrderState.values)
    assert by_state[OrderState.PENDING] == 1 and by_state[OrderState.PAID] == 0

    depth, _age = tasks_metrics()
    assert {labels[0] for labels, _v in depth.samples} >= {"default", "transcode"}

    _renditions, durations = encodes_metrics()
    buckets = dict(durations.buckets)
    assert (buckets["1.0"], buckets["5.0"], buckets["60.0"], buckets["+Inf"]) == (0, 1, 2, 2)
    assert durations.total == 43.5


def test_waiting_tasks_and_the_age_of_the_oldest_are_read_from_the_queue(settings: Any) -> None:
    from datetime import timedelta

    from django_tasks_db.models import DBTaskResult

    from disquaire.catalog.tasks import release_retag_task

    settings.TASKS = {
        "default": {"BACKEND": "disquaire.core.tasks_backend.RequestIdDatabaseBackend"}
    }
    first = release_retag_task.enqueue(1)
    release_retag_task.enqueue(2)
    DBTaskResult.objects.filter(id=first.id).update(
        enqueued_at=timezone.now() - timedelta(seconds=600)
    )

    depth, age = tasks_metrics()

    assert dict((k[0], v) for k, v in depth.samples)["default"] == 2
    assert dict((k[0], v) for k, v in age.samples)["default"] >= 600


def test_the_counts_of_several_web_processes_add_up(tmp_path: Path) -> None:
    """prometheus_client's multiprocess mode, as `disquaire serve` sets it up."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = (
        "from disquaire.core.metrics import request_observe\n"
        "for _ in range({n}):\n"
        "    request_observe(route='/x', method='GET', status=200, seconds=0.01)\n"
    )
    for n in (3, 4):
        subprocess.run([sys.executable, "-c", count.format(n=n)], env=env, check=True)
    read = (
        "from prometheus_client import CollectorRegistry, generate_latest, multiprocess\n"
        "r = CollectorRegistry(); multiprocess.MultiProcessCollector(r)\n"
        "print(generate_latest(r).decode())\n"
    )
    text = subprocess.run(
        [sys.executable, "-c", read], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert 'disquaire_http_requests_total{method="GET",route="/x",status="200"} 7.0' in text
    assert 'disquaire_http_request_duration_seconds_count{route="/x"} 7.0' in text


def test_a_page_answered_before_django_is_counted_as_a_cached_page(settings: Any) -> None:
    settings.DISQUAIRE_METRICS_TOKEN = TOKEN
    artist = OfferFactory().artist
    before = _requests(CACHED, "200")

    first = _wsgi(f"/{artist.slug}/")
    second = _wsgi(f"/{artist.slug}/")

    assert first[2] == second[2]
    assert _requests(CACHED, "200") == before + 1
    assert first[1]["X-Request-ID"] != second[1]["X-Request-ID"]
