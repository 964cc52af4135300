from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from disquaire.core.worker import WorkerPool, default_thread_count


class Command(BaseCommand):
    help = "Run background workers (transcoding, emails, scheduled jobs) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--threads", type=int, default=0, help="worker threads (default: one per core)"
        )

    def handle(self, *args: Any, threads: int, **options: Any) -> None:
        pool = WorkerPool(threads=threads or default_thread_count()).start()
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            if stop.is_set():
                # Second signal: leave now; unfinished work is picked up again later.
                raise SystemExit(1)
            self.stderr.write("Stopping after the running tasks (signal again to leave now)…")
            stop.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        self.stdout.write(f"Worker {pool.worker_id} running {pool.threads} thread(s).")
        stop.wait()
        pool.stop()
