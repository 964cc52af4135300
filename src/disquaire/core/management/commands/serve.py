from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from disquaire.core.siteurl import site_url_follow


def _gunicorn_run(options: dict[str, Any]) -> None:
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            # The project's application as settings name it (WSGI_APPLICATION): core does
            # not import the configuration that sits above every room.
            from django.core.servers.basehttp import get_internal_wsgi_application

            application = get_internal_wsgi_application()

            # Everything loaded so far (Django, the URL conf, templates, models) lives as
            # long as the process: keep it out of the garbage collector's scans, which
            # otherwise walk it again and again (~0.2 ms of CPU an order, checkout bench).
            gc.freeze()
            return application

    Application().run()


_pool: Any = None


def _pool_start(worker: Any) -> None:
    global _pool
    from disquaire.core.worker import WorkerPool, default_thread_count

    _pool = WorkerPool(threads=default_thread_count()).start()


def _pool_stop(server: Any, worker: Any) -> None:
    if _pool is not None:
        _pool.stop(timeout=15)


def _child_exit(server: Any, worker: Any) -> None:
    from disquaire.core.metrics import multiprocess_process_dead

    multiprocess_process_dead(worker.pid)


def default_threads(*, production: bool) -> int:
    """Threads per web process when ``--threads`` is not given.

    Threads are for waiting; each one more makes the others fight over the GIL. With
    DISQUAIRE_FILE_SERVING=direct each download holds a thread until its last byte: 16,
    so that a few slow downloads leave threads for the pages. When nginx (``x-accel``)
    or S3 sends the files, a thread is free as soon as it has answered: 2, or 4 when
    Stripe is set up (each checkout then waits a few hundred milliseconds for Stripe's
    API). On 2 cores, 2 threads a process sold 91-95 paid orders a second against 77-83
    with 4 (bench/checkout.py, CPU per order 18-20 ms against 22-24) and served cached
    pages nearly as fast (median 5,751 against 5,971 a second, bench/pages.py).
    """
    if settings.DISQUAIRE_FILE_SERVING == "direct":
        return 16 if production else 8
    return 4 if settings.DISQUAIRE_STRIPE_SECRET_KEY else 2


class Command(BaseCommand):
    help = "Serve the site (gunicorn) with the background worker in-process or beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--production",
            action="store_true",
            help="production settings: several processes, no static files, checks enforced",
        )
        parser.add_argument("--processes", type=int, default=0, help="web processes")
        parser.add_argument("--threads", type=int, default=0, help="threads per web process")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the background worker"
        )
        parser.add_argument("--no-migrate", action="store_true")

    def _setup_code_announce(self, opts: dict[str, Any]) -> None:
        """On a fresh install, print the one-time code that creating the operator's
        account asks for (only whoever started the server sees it)."""
        from disquaire.backstage.services import SETUP_CODE_FILE, setup_code_ensure

        try:
            code = setup_code_ensure()
        except DatabaseError:  # --no-migrate on a database not migrated yet
            return
        if code is None:
            return
        host = opts["host"] if ":" not in opts["host"] else f"[{opts['host']}]"
        self.stdout.write(
            f"First run: create the operator's account at http://{host}:{opts['port']}"
            f"/backstage/setup/ with the setup code {code}\n"
            f"(also in {Path(settings.DATA_DIR) / SETUP_CODE_FILE}; or run "
            "`disquaire createsuperuser --username you@example.org --email you@example.org`)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        # Production is decided before the settings load (disquaire.cli): here it is
        # only checked, since cookies, HSTS and static files are already settled.
        if opts["production"] != bool(settings.PRODUCTION):
            raise CommandError(
                "--production and DISQUAIRE_PRODUCTION disagree: start with "
                "`disquaire serve --production` (which sets it), or set both or neither."
                if opts["production"]
                else "DISQUAIRE_PRODUCTION is set: start with `disquaire serve --production`."
            )
        # The web processes add up their request counts in this folder (core.metrics).
        from disquaire.core.metrics import multiprocess_prepare

        multiprocess_prepare(
            os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(settings.DATA_DIR / "metrics")
        )
        site_url = site_url_follow(host=opts["host"], port=opts["port"])
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        cores = os.cpu_count() or 1
        processes = opts["processes"] or (cores if opts["production"] else 1)
        threads = opts["threads"] or default_threads(production=opts["production"])
        worker: subprocess.Popen[bytes] | None = None
        hooks: dict[str, Any] = {}
        if opts["no_worker"]:
            pass
        elif processes == 1:
            # Embedded mode: the background worker runs as threads inside the one web
            # process, started after gunicorn forked it (threads never cross a fork).
            hooks = {"post_worker_init": _pool_start, "worker_exit": _pool_stop}
        else:
            # Several web processes: one worker process beside them, stopped with them.
            worker = subprocess.Popen([sys.executable, "-m", "disquaire", "worker"])
        bind = f"[{opts['host']}]:{opts['port']}" if ":" in opts["host"] else None
        self._setup_code_announce(opts)
        self.stdout.write(
            f"Serving on http://{opts['host']}:{opts['port']}/ "
            f"({processes} process(es) × {threads} threads; data in {settings.DATA_DIR})"
        )
        self.stdout.write(f"Links name {site_url}/")
        for path in settings.ENV_FILES:
            self.stdout.write(f"Settings read from {path}")
        try:
            _gunicorn_run(
                {
                    "bind": bind or f"{opts['host']}:{opts['port']}",
                    "workers": processes,
                    "threads": threads,
                    "worker_class": "gthread",
                    "timeout": 120,
                    "graceful_timeout": 20,
                    "keepalive": 5,
                    "accesslog": None,
                    "errorlog": "-",
                    "loglevel": "warning",
                    "sendfile": True,
                    "proc_name": "disquaire",
                    "child_exit": _child_exit,
                    **hooks,
                }
            )
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
