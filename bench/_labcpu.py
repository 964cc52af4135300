"""CPU seconds of the lab's processes during a run, per host and per program, from /proc.

Each process of the lab is found by its network namespace (``/proc/PID/ns/net`` against
``/run/netns/dqlab-*``) and read once a second. A process that ends between two readings
is not lost: its parent (the worker that ran ffmpeg, the postmaster of a backend) counts
it in its children's time once it has reaped it, and that remainder goes to the parent's
line. Processes killed with their host count until their last reading (under a second).
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from pathlib import Path

NETNS_DIR = Path("/run/netns")
PREFIX = "dqlab-"
TICK = os.sysconf("SC_CLK_TCK")


def _namespaces() -> dict[str, str]:
    """'net:[inode]' → the lab host living in that namespace."""
    found = {}
    for path in NETNS_DIR.glob(PREFIX + "*"):
        try:
            found[f"net:[{path.stat().st_ino}]"] = path.name.removeprefix(PREFIX)
        except OSError:
            continue
    return found


def _label(pid: int, comm: str) -> str:
    """The program: its command name, or for Python what it runs."""
    if not comm.startswith("python"):
        return comm
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return comm
    words = [a.decode(errors="replace") for a in argv]
    if any(w.endswith("cluster.py") for w in words):
        return "bench"  # the traffic driver, the publisher, the checks
    for word in ("serve", "worker", "migrate", "collectstatic", "demo"):
        if word in words:
            return f"disquaire {word}"
    return comm


def lab_processes() -> dict[int, tuple[str, str, int, float, float]]:
    """pid → (host, program, parent pid, own CPU s, reaped children's CPU s)."""
    spaces = _namespaces()
    found: dict[int, tuple[str, str, int, float, float]] = {}
    if not spaces:
        return found
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            host = spaces.get(str((entry / "ns" / "net").readlink()))
            if host is None:
                continue
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        own = (int(fields[11]) + int(fields[12])) / TICK
        reaped = (int(fields[13]) + int(fields[14])) / TICK
        pid = int(entry.name)
        found[pid] = (host, _label(pid, comm), int(fields[1]), own, reaped)
    return found


class LabCpu:
    """``meter = LabCpu()`` … ``meter.stop()`` → {host: {program: CPU seconds}}."""

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self.first = lab_processes()
        self.last = dict(self.first)
        self.seen_at: dict[int, int] = dict.fromkeys(self.first, 0)
        self.reading = 0
        self.loadavg_start = _loadavg()
        self.machine_start = _machine_cpu()
        self.wall_start = time.monotonic()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        self.reading += 1
        for pid, row in lab_processes().items():
            previous = self.last.get(pid)
            if previous is not None and previous[1] != row[1] and previous[3] > row[3]:
                continue  # a recycled pid: keep the old process's figures
            self.last[pid] = row
            self.seen_at[pid] = self.reading

    def _loop(self) -> None:
        while not self._done.wait(self.every):
            self._read()

    def stop(self) -> dict[str, dict[str, float]]:
        self._done.set()
        self._thread.join()
        self._read()
        self.loadavg_end = _loadavg()
        self.machine_cpu_s = _machine_cpu() - self.machine_start
        self.wall_s = time.monotonic() - self.wall_start
        used: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        reaped_seen: dict[int, float] = defaultdict(float)
        for pid, (host, program, ppid, own, _reaped) in self.last.items():
            before = self.first.get(pid)
            used[host][program] += own - (before[3] if before else 0.0)
            ended = self.seen_at[pid] < self.reading
            parent_later = ppid in self.last and self.seen_at[ppid] > self.seen_at[pid]
            if ended and parent_later:
                # Its parent reaped it: the parent's children time holds all of it.
                reaped_seen[ppid] += own
        for pid, (host, program, _ppid, _own, reaped) in self.last.items():
            before = self.first.get(pid)
            rest = reaped - (before[4] if before else 0.0) - reaped_seen.get(pid, 0.0)
            if rest > 0.005:
                used[host][program + " (ended children)"] += rest
        rounded: dict[str, dict[str, float]] = {}
        for host, programs in sorted(used.items()):
            ordered = sorted(programs.items(), key=lambda item: -item[1])
            rounded[host] = {p: round(s, 2) for p, s in ordered if s >= 0.01}
        return rounded


def _loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (every core, every process)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICK
