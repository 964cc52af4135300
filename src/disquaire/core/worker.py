"""Run background workers: as threads inside `disquaire serve`, or as `disquaire worker`.

Each thread runs django-tasks-db's worker loop. A heartbeat thread records the
process in WorkerHeartbeat (for /healthz) and runs the periodic jobs named in
settings.DISQUAIRE_PERIODIC (recovering work of dead workers, publishing, ...).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string

logger = logging.getLogger("disquaire.worker")


def tasks_metrics() -> list[Any]:
    """Tasks ready to run and not yet started, and the age of the oldest, per queue."""
    from django.db.models import Count, Min
    from django_tasks_db.models import DBTaskResult

    from disquaire.core.metrics import Family

    now = timezone.now()
    queues: dict[str, tuple[int, float]] = {
        name: (0, 0.0) for name in settings.TASKS["default"].get("QUEUES", ["default"])
    }
    waiting = (
        DBTaskResult.objects.ready()
        .values("queue_name")
        .annotate(count=Count("id"), oldest=Min("enqueued_at"))
    )
    for row in waiting:
        age = max(0.0, (now - row["oldest"]).total_seconds()) if row["oldest"] else 0.0
        queues[row["queue_name"]] = (row["count"], age)
    return [
        Family(
            "disquaire_task_queue_depth",
            "Tasks ready to run and not started yet, by queue.",
            ("queue",),
            samples=[((queue,), count) for queue, (count, _age) in sorted(queues.items())],
        ),
        Family(
            "disquaire_task_queue_oldest_age_seconds",
            "Seconds the oldest task ready to run has waited, by queue (0 when none waits).",
            ("queue",),
            samples=[((queue,), age) for queue, (_count, age) in sorted(queues.items())],
        ),
    ]


def periodic_jobs() -> list[Callable[[], object]]:
    return [import_string(path) for path in settings.DISQUAIRE_PERIODIC]


def periodic_run() -> None:
    """Run every periodic job once; one failing job does not stop the others."""
    for job in periodic_jobs():
        try:
            job()
        except Exception:
            logger.exception("periodic job %s failed", getattr(job, "__name__", job))


def _worker_class() -> type:
    """django-tasks-db's worker, running each task under the id of the request that
    enqueued it (core.logs), and logging its start and end with that id."""
    from django_tasks_db.management.commands.db_worker import Worker

    from disquaire.core.logs import task_reset, task_set
    from disquaire.core.tasks_backend import task_request_id

    class RequestIdWorker(Worker):
        def run_task(self, db_task_result: Any) -> None:
            name = str(getattr(db_task_result, "task_path", ""))
            tokens = task_set(task_request_id(db_task_result), name)
            started = time.monotonic()
            try:
                logger.debug("task %s started", getattr(db_task_result, "id", ""))
                super().run_task(db_task_result)
            finally:
                status = getattr(db_task_result, "status", "")
                logger.info(
                    "task %s ended (%s) in %.3f s",
                    getattr(db_task_result, "id", ""),
                    status,
                    time.monotonic() - started,
                )
                task_reset(tokens)

    return RequestIdWorker


class WorkerPool:
    """Worker threads processing every queue, plus heartbeat and periodic jobs."""

    def __init__(
        self,
        *,
        threads: int,
        interval: float = 0.5,
        heartbeat_every: float | None = None,
        periodic_every: float | None = None,
        restart_pause: float = 1.0,
        restart_pause_max: float = 30.0,
    ) -> None:
        worker_class = _worker_class()
        self.worker_id = f"{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(8)}"
        self.threads = max(1, threads)
        periodic = float(settings.WORKER_PERIODIC_SECONDS)
        self.periodic_every = periodic if periodic_every is None else periodic_every
        self.heartbeat_every = (
            min(10.0, self.periodic_every) if heartbeat_every is None else heartbeat_every
        )
        self.restart_pause = restart_pause
        self.restart_pause_max = restart_pause_max
        self._stop = threading.Event()
        self._workers = [
            worker_class(
                queue_names=["*"],
                interval=interval,
                batch=False,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id=f"{self.worker_id[:55]}-{index}",
                excluded_queue_names=[],
            )
            for index in range(self.threads)
        ]
        self._threads: list[threading.Thread] = []

    def _run_worker(self, worker: object) -> None:
        """Run one worker loop until the pool stops.

        The loop breaks on an error outside a task (the database restarting under it:
        the failed task cannot even be marked failed). It then starts again after a
        pause that grows to ``restart_pause_max``: a thread that stayed dead would leave
        the process taking no task while its heartbeat still says it is healthy.
        """
        pause = self.restart_pause
        while not self._stop.is_set():
            try:
                worker.run()  # type: ignore[attr-defined]
                return  # run() returns once stop() has cleared worker.running
            except Exception:
                logger.exception("worker thread stopped on an error; starting again")
            finally:
                with contextlib.suppress(Exception):
                    connection.close()
            if self._stop.wait(pause):
                return
            pause = min(pause * 2, self.restart_pause_max) if pause else 0.0

    def _beat(self) -> None:
        from disquaire.core.models import WorkerHeartbeat

        last_periodic = 0.0
        try:
            while not self._stop.is_set():
                close_old_connections()
                try:
                    WorkerHeartbeat.objects.update_or_create(
                        worker_id=self.worker_id,
                        defaults={
                            "hostname": socket.gethostname()[:200],
                            "pid": os.getpid(),
                            "threads": self.threads,
                            "last_seen": timezone.now(),
                        },
                    )
                except Exception:
                    logger.exception("could not record the worker heartbeat")
                if time.monotonic() - last_periodic >= self.periodic_every:
                    last_periodic = time.monotonic()
                    periodic_run()
                self._stop.wait(self.heartbeat_every)
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        finally:
            connection.close()

    def start(self) -> WorkerPool:
        for index, worker in enumerate(self._workers):
            thread = threading.Thread(
                target=self._run_worker, args=(worker,), name=f"disquaire-worker-{index}"
            )
            thread.daemon = True
            thread.start()
            self._threads.append(thread)
        beat = threading.Thread(target=self._beat, name="disquaire-heartbeat", daemon=True)
        beat.start()
        self._threads.append(beat)
        logger.info("started %d worker thread(s) as %s", self.threads, self.worker_id)
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Stop taking new tasks and wait for the running ones to finish."""
        for worker in self._workers:
            worker.running = False
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)


def default_thread_count() -> int:
    configured = settings.WORKER_THREADS
    return configured or max(1, os.cpu_count() or 1)
