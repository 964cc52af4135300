"""The worker pool's threads outlive the errors that break their loop."""

from __future__ import annotations

from django.db import OperationalError

from disquaire.core.worker import WorkerPool


class FlakyWorker:
    """A worker loop whose first run breaks as on a restarted database."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.runs = 0
        self.running = True

    def run(self) -> None:
        self.runs += 1
        if self.runs <= self.failures:
            raise OperationalError("terminating connection due to administrator command")


def test_worker_loop_starts_again_after_a_database_error() -> None:
    pool = WorkerPool(threads=1, restart_pause=0)
    worker = FlakyWorker(failures=2)

    pool._run_worker(worker)

    assert worker.runs == 3


def test_stopped_pool_does_not_start_a_broken_loop_again() -> None:
    pool = WorkerPool(threads=1, restart_pause=0)
    worker = FlakyWorker(failures=5)
    pool.stop()

    pool._run_worker(worker)

    assert worker.runs == 0
