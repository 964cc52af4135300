"""What an operator watches: `/metrics` in Prometheus' text format, and the request id.

Two kinds of figures:

- **Per process** (requests by route, method and status; the time to the response's
  headers): counted by ``ObservedApplication``, the outermost WSGI layer, so the cached
  pages answered before Django (storefront.fastpath, route ``cached-page``) count too.
  gunicorn runs several processes: ``disquaire serve`` gives them a shared folder
  (``PROMETHEUS_MULTIPROC_DIR``) and prometheus_client's multiprocess mode adds their
  counts up, so any process answering `/metrics` shows the totals of the machine. Each
  app machine is scraped on its own.
- **From the database** (tasks waiting and the age of the oldest, orders by state,
  renditions by format and status, encoding times): read when `/metrics` is asked, so
  every machine shows the same, whichever process or worker machine did the work. The
  rooms that own the data provide them (``settings.DISQUAIRE_METRICS``).

prometheus_client is imported only inside functions: its multiprocess mode is chosen
when it is first imported, which must happen after ``serve`` set the folder.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from disquaire.core.http import bearer_matches
from disquaire.core.logs import request_id_from, request_id_reset, request_id_set

ROUTE_KEY = "disquaire.route"
CACHED_ROUTE = "cached-page"
UNMATCHED_ROUTE = "unmatched"
# The text format every Prometheus version reads (our names need nothing newer).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Family:
    """One metric read from the database: ``kind`` is "gauge" or "histogram"."""

    name: str
    documentation: str
    labels: tuple[str, ...] = ()
    kind: str = "gauge"
    samples: list[tuple[tuple[str, ...], float]] = field(default_factory=list)
    # For a histogram: cumulative (upper bound, count) pairs ending with +Inf, and the sum.
    buckets: list[tuple[str, float]] = field(default_factory=list)
    total: float = 0.0


@lru_cache(maxsize=1)
def _instruments() -> tuple[Any, Any]:
    from prometheus_client import Counter, Histogram

    requests = Counter(
        "disquaire_http_requests",
        "HTTP requests answered, by route (URL pattern), method and status.",
        ["route", "method", "status"],
    )
    latency = Histogram(
        "disquaire_http_request_duration_seconds",
        "Seconds from the request to the response's headers, by route.",
        ["route"],
        buckets=LATENCY_BUCKETS,
    )
    return requests, latency


_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def request_observe(*, route: str, method: str, status: int, seconds: float) -> None:
    # The labelled children are looked up once per (route, method, status): labels()
    # takes a lock and builds a key on every call.
    key = (route, method, status)
    children = _children.get(key)
    if children is None:
        requests, latency = _instruments()
        children = (requests.labels(route, method, str(status)), latency.labels(route))
        _children[key] = children
    children[0].inc()
    children[1].observe(seconds)


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ObservedApplication:
    """WSGI layer around the whole application: request id and request metrics."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        environ["HTTP_X_REQUEST_ID"] = request_id
        token = request_id_set(request_id)
        started = time.perf_counter()
        seen: dict[str, Any] = {}

        def observed_start_response(status: str, headers: list[Any], *args: Any) -> Any:
            seen["status"] = int(status.split(" ", 1)[0])
            seen["seconds"] = time.perf_counter() - started
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append(("X-Request-ID", request_id))
            return start_response(status, headers, *args)

        try:
            return self.app(environ, observed_start_response)
        finally:
            request_id_reset(token)
            # Nobody can read the figures while /metrics is off: do not count them.
            metrics_on = settings.DISQUAIRE_METRICS_TOKEN or settings.DISQUAIRE_METRICS_ALLOW
            if metrics_on and "status" in seen:
                method = environ.get("REQUEST_METHOD", "")
                request_observe(
                    route=environ.get(ROUTE_KEY, CACHED_ROUTE),
                    method=method if method in KNOWN_METHODS else "other",
                    status=seen["status"],
                    seconds=seen["seconds"],
                )


class RouteMiddleware:
    """Names the request's route (its URL pattern) in its WSGI environ (``request.META``)
    for ``ObservedApplication``: a label with as many values as the site has pages, not
    as many as it has addresses."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META[ROUTE_KEY] = UNMATCHED_ROUTE
        return self.get_response(request)

    def process_view(self, request: HttpRequest, *args: Any) -> None:
        match = request.resolver_match
        if match is not None:
            request.META[ROUTE_KEY] = "/" + (match.route or match.view_name)


# --- the exposition -----------------------------------------------------------------------


def database_families() -> list[Family]:
    families: list[Family] = []
    for path in settings.DISQUAIRE_METRICS:
        families.extend(import_string(path)())
    return families


class _DatabaseCollector:
    def collect(self) -> Iterable[Any]:
        from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

        for family in database_families():
            if family.kind == "histogram":
                yield HistogramMetricFamily(
                    family.name,
                    family.documentation,
                    buckets=family.buckets,
                    sum_value=family.total,
                )
                continue
            gauge = GaugeMetricFamily(family.name, family.documentation, labels=family.labels)
            for values, value in family.samples:
                gauge.add_metric(list(values), value)
            yield gauge


def metrics_exposition() -> tuple[bytes, str]:
    """The text exposition of every metric, and its content type."""
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

    _instruments()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_DatabaseCollector())
        return generate_latest(registry), CONTENT_TYPE
    database = CollectorRegistry()
    database.register(_DatabaseCollector())
    return generate_latest(REGISTRY) + generate_latest(database), CONTENT_TYPE


def metrics_allowed(request: HttpRequest) -> bool | None:
    """True when the request may read the metrics, False when not, None when metrics are
    turned off (neither a token nor a network is configured)."""
    token = settings.DISQUAIRE_METRICS_TOKEN
    networks = settings.DISQUAIRE_METRICS_ALLOW
    if not token and not networks:
        return None
    if bearer_matches(request, token):
        return True
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(net, strict=False) for net in networks)
    return False


# --- the multiprocess folder, for `disquaire serve` ----------------------------------------


def multiprocess_prepare(folder: str) -> None:
    """Empty ``folder`` and give it to every process started from now on (gunicorn's).

    Called before gunicorn starts: files left by an earlier run would add its counts.
    Only prometheus_client's own files (``*.db``) are removed.
    """
    from pathlib import Path

    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for leftover in path.glob("*.db"):
        leftover.unlink(missing_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def multiprocess_process_dead(pid: int) -> None:
    """gunicorn's ``child_exit``: a dead process's live gauges are dropped (its counts
    stay, as they must for counters)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
