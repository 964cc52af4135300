"""Shared set-up of the benchmarks (run as scripts: `python bench/NAME.py`)."""

from __future__ import annotations

import os
import resource
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


def setup_django(data_dir: Path) -> None:
    os.environ["DISQUAIRE_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "disquaire.config.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def cpu_seconds() -> tuple[float, float]:
    """User + system CPU seconds used so far by this process (all its threads, so the
    in-process workers count), and by its children that have ended and been waited for
    (ffmpeg runs count once reaped: a child still running is not counted yet)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@dataclass
class Spent:
    """Wall and CPU seconds of a ``measure()`` block (filled in when it ends)."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    children_cpu_s: float = 0.0
    """The part of ``cpu_s`` spent in child processes (ffmpeg), the rest in Python."""


class measure:
    """``with measure() as spent:`` — wall seconds and CPU seconds (``cpu_seconds``)
    spent inside the block. On a shared machine the CPU seconds hold steady where wall
    time swings: other work slows a run down but does not add to its CPU time."""

    def __enter__(self) -> Spent:
        self.spent = Spent()
        self._wall, self._cpu = time.perf_counter(), cpu_seconds()
        return self.spent

    def __exit__(self, *exc: object) -> None:
        own, children = cpu_seconds()
        self.spent.wall_s = time.perf_counter() - self._wall
        self.spent.cpu_s = own + children - sum(self._cpu)
        self.spent.children_cpu_s = children - self._cpu[1]


def proc_table() -> dict[int, tuple[int, str, float]]:
    """Every process on the machine, from /proc: pid → (parent pid, command name, CPU
    seconds it has used so far, user + system)."""
    tick = os.sysconf("SC_CLK_TCK")
    table: dict[int, tuple[int, str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), name, (int(fields[11]) + int(fields[12])) / tick)
    return table


def proc_tree(root: int, table: dict[int, tuple[int, str, float]]) -> list[int]:
    """``root`` and every process below it in ``table``."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _name, _cpu) in table.items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def tree_cpu_seconds(*roots: int, table: dict[int, tuple[int, str, float]] | None = None) -> float:
    """CPU seconds used so far by the processes ``roots`` and everything below them (a
    server's workers included), from /proc (or ``table``, one already read); a root named
    twice counts once."""
    table = proc_table() if table is None else table
    pids = {pid for root in roots for pid in proc_tree(root, table) if pid in table}
    return sum(table[pid][2] for pid in pids)


def server_cpu_seconds(server: int) -> dict[str, float]:
    """CPU seconds used so far by the web server (process ``server`` and its children),
    PostgreSQL (every postgres process) and this load generator."""
    table = proc_table()
    return {
        "web": tree_cpu_seconds(server, table=table),
        "database": sum(cpu for _ppid, name, cpu in table.values() if name.startswith("postgres")),
        "load": time.process_time(),
    }


PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_database(action: str, name: str) -> None:
    """Create (``action="create"``) or drop a bench's own PostgreSQL database."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        if action == "create":
            conn.execute(f'CREATE DATABASE "{name}"')
        else:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(db_name: str, data_dir: Path) -> dict[str, str]:
    """The environment of `disquaire serve --production` on this machine's plain HTTP,
    with the bench's own database ``db_name`` and data folder."""
    return {
        **os.environ,
        "DATABASE_URL": PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + db_name,
        "DISQUAIRE_DATA_DIR": str(data_dir),
        "DISQUAIRE_SECRET_KEY": secrets.token_urlsafe(40),
        "DISQUAIRE_PRODUCTION": "1",
        "DISQUAIRE_SSL_REDIRECT": "0",
        "DISQUAIRE_SECURE_COOKIES": "0",
        "DISQUAIRE_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DISQUAIRE_SITE_URL": "http://127.0.0.1",
        # The production setup of docs/deploy.md: nginx sends the files. No file is sent
        # here, but `serve` sizes its threads by it (2 a process instead of 16).
        "DISQUAIRE_FILE_SERVING": os.environ.get("DISQUAIRE_FILE_SERVING", "x-accel"),
        "DISQUAIRE_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "disquaire.config.settings",
    }


def serve_production(
    port: int, env: dict[str, str], probe: str, options: list[str] | None = None
) -> subprocess.Popen[bytes]:
    """Start `disquaire serve --production` (no worker, no migrate) on ``port`` with
    ``env`` and wait, 60 s at most, until GET ``probe`` answers 200."""
    import http.client

    command = [sys.executable, "-m", "disquaire", "serve", "--production", "--no-worker"]
    command += ["--no-migrate", "--port", str(port), *(options or [])]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", probe, headers={"Host": f"127.0.0.1:{port}"})
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            server.wait()
            raise SystemExit("the server did not start")
        time.sleep(0.2)


def server_stop(server: subprocess.Popen[bytes] | None, db_name: str) -> None:
    """Stop ``server`` (30 s to end, then killed), close Django's connections and drop
    the bench's database ``db_name``."""
    if server is not None:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    from django.db import connections

    connections.close_all()
    pg_database("drop", db_name)
