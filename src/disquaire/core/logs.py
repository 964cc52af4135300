"""Request ids and structured logs.

Every request gets an id: nginx's ``X-Request-ID`` when it sent one (deploy/nginx sets
it to ``$request_id``), else a new one. It is sent back in the response's
``X-Request-ID``, added to every log record made while the request runs, and stored
with every task the request enqueues (core.tasks_backend), so the worker's records of
that task carry it too: one id from nginx's access log to the worker's last line.

``DISQUAIRE_LOG_FORMAT=json`` writes one JSON object a line (``JsonFormatter``); the
default is plain text.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from contextvars import ContextVar

_request_id: ContextVar[str] = ContextVar("disquaire_request_id", default="")
_task: ContextVar[str] = ContextVar("disquaire_task", default="")

# What we accept from a proxy: nginx's $request_id is 32 hex digits; other proxies send
# UUIDs or similar. Anything else is replaced, never logged as given.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str:
    """The proxy's id when it is a plausible one, else a new id."""
    if header and VALID_REQUEST_ID.match(header):
        return header
    return request_id_new()


def current_request_id() -> str:
    return _request_id.get()


def request_id_set(value: str) -> object:
    return _request_id.set(value)


def request_id_reset(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


def task_set(request_id: str, task: str) -> tuple[object, object]:
    return _request_id.set(request_id), _task.set(task)


def task_reset(tokens: tuple[object, object]) -> None:
    _request_id.reset(tokens[0])  # type: ignore[arg-type]
    _task.reset(tokens[1])  # type: ignore[arg-type]


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (and ``task`` in a worker) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        record.task = _task.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "")
        if request_id:
            data["request_id"] = request_id
        task = getattr(record, "task", "")
        if task:
            data["task"] = task
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The plain format, with the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", "")
        return f"[{request_id}] {line}" if request_id else line
