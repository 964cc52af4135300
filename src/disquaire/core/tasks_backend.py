"""django-tasks-db's database backend, keeping the id of the request that enqueued a task.

The id goes into the task row's ``args_kwargs`` beside the arguments (the worker reads
only ``args`` and ``kwargs`` from it); ``core.worker`` sets it again while the task runs,
so the worker's log records of the task carry the request's id (core.logs).

``_task_to_db_task`` follows the body of the library's own private method, which has no
hook for extra data (and writes the row with one prebuilt INSERT, not ``Model.save``):
django-tasks-db is pinned below 0.14 in pyproject.toml, and an upgrade must compare the
two (``aenqueue`` does not pass through here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import normalize_json

from disquaire.core.logs import current_request_id
from disquaire.core.queries import insert_row_keyed, insert_rows_saved, rows_batch

# Task rows waiting for their INSERT while a ``tasks_batch`` is open (None: none is).
_batch: ContextVar[list[Any] | None] = ContextVar("tasks_batch", default=None)


@contextmanager
def tasks_batch() -> Iterator[Callable[[], None]]:
    """Write the task rows queued inside in one INSERT, at the end (or when the yielded
    function is called). Use it inside the transaction that queues them: a paid order
    queues its receipt and its members' e-mails, one statement instead of two. Tasks of
    other backends go as they always do."""
    with rows_batch(_batch, insert_rows_saved) as flush:
        yield flush


class RequestIdDatabaseBackend(DatabaseBackend):
    def _task_to_db_task(self, task: Any, args: Any, kwargs: Any) -> Any:
        from django_tasks_db.models import DBTaskResult

        data = normalize_json({"args": args, "kwargs": kwargs})
        request_id = current_request_id()
        if request_id:
            data = {**data, "request_id": request_id}
        row: Any = DBTaskResult(
            id=self._get_id(),
            args_kwargs=data,
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,
            backend_name=self.alias,
        )
        # The library's ``objects.create`` goes through ``Model.save``; every paid order
        # queues two tasks (receipt, members' e-mails) in its transaction, so the row is
        # written by one INSERT built once (core.queries), the same columns and values,
        # with the same signals (the library's pre_save fills ``run_after``).
        insert_row_keyed(row, later=_batch.get())
        return row


def task_request_id(db_task_result: Any) -> str:
    """The id of the request that enqueued this task row ("" when none)."""
    data = getattr(db_task_result, "args_kwargs", None)
    return str(data.get("request_id", "")) if isinstance(data, dict) else ""
