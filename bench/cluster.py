"""Release day on several machines, with faults: the lab of deploy/lab/lab.sh under load.

Builds the lab (nginx, two app hosts, two workers, PostgreSQL primary + streaming replica,
Redis, Ceph's RADOS Gateway — each host in its own network namespace), publishes the demo
band's releases, then for a fixed time sends from the `fan` host visitors through the load
balancer, each flow arriving on a schedule (an open loop: RATES, Poisson arrivals a
second, whether or not the earlier visitors were answered): page views (nginx-cached and
not), plays (the player's data, then its stream with a Range header, followed to S3), add-
to-cart + checkout + payment confirmation of a numbered limited edition and of a digital
album — by the test provider, or by card through the Stripe fake of
tests/payments/fake_stripe.py (run on the fan host), confirmed by its signed webhook,
delivered again until answered 2xx and sometimes twice — and downloads of the paid zip. A
second release is published as the run starts, so that encodings are under way when the
faults come. Meanwhile it SIGKILLs one app host and one worker host, restarts the
PostgreSQL primary once, and unplugs the S3 host for 10 s.

Afterwards, from the database: every order whose payment was confirmed is paid exactly
once with its entitlements and its sold_online ledger rows; no unit oversold; 0 drift in
`disquaire stock-check`; no task lost (every track, rendition and zip finished or failed
with a reason); every download either served whole or refused cleanly. It reports
p50/p95/p99 per class in and out of the fault windows, and the CPU seconds of every host
and program of the lab (bench/_labcpu.py). Last line, one JSON object:

    {"bench": "cluster", "latency_valid", "arrivals_per_s", "page_rps", "checkouts_per_s",
     "p99_ms", "latency_ms", "errors_during_faults", "lost_orders", "double_fulfilled",
     "oversold", "lost_tasks", "ledger_wrong", "stock_drift", "cpu_s_by_program", ...}

Needs root and `ip netns` (the lab's network namespaces); skipped with one line otherwise.

    python bench/cluster.py [--quick] [--seconds 180] [--scale 1.0] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _cluster_host import host_check, host_publish, host_setup
from _cluster_load import drive
from _labcpu import LabCpu

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "deploy" / "lab" / "lab.sh"
TARGET_P99_MS = 200
# After a fault ends, this long still counts as its window (nginx's fail_timeout, the
# database connections' health checks, S3 clients reconnecting).
RECOVERY_SECONDS = 5.0
# The release-day mix, in arrivals a second (an open loop: each visitor arrives on this
# schedule whether or not the earlier ones were answered). Three page views in four
# come from nginx's cache; "buy" is a whole purchase (cart, quote, checkout, payment,
# and for the album its order page, download page and zip).
RATES = {
    "page_cached": 30.0,
    "page_app": 8.0,
    "page_signed_in": 2.0,
    "play": 4.0,
    "buy": 1.0,
}
# A run's latency figures count only when the load generator started its visitors on time
# (p99 of the delay), other processes of the machine used less than this many cores, and
# enough public pages fell outside the fault windows.
MAX_LAG_MS = 50.0
MAX_OTHER_CORES = 0.3
MIN_CALM_PAGES = 500
# The per-class latency figures: request kinds of the driver, grouped.
CLASSES = {
    "page_cached": ("page_cached",),
    "page_app": ("page_app",),
    "page_signed_in": ("page_signed_in",),
    "play": ("play_data", "play"),
    "checkout": ("cart", "quote", "checkout", "pay", "webhook"),
    "download": ("order_page", "download_page", "download"),
    "s3": ("play_s3", "download_s3"),
}


# --- the orchestrator (root namespace) ----------------------------------------------------


def lab_missing() -> str | None:
    """Why the lab cannot be built here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    ip = shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin")
    if ip is None:
        return "needs ip (iproute2)"
    if subprocess.run([ip, "netns", "list"], capture_output=True).returncode != 0:
        return "ip netns does not work here"
    # lab.sh installs its Debian packages when apt can (root only, checked above).
    if shutil.which("apt-get"):
        return None
    tools = ["nginx", "redis-server"]
    if os.environ.get("DQLAB_S3", "radosgw") == "radosgw":
        tools += ["radosgw", "ceph-mon", "ceph-osd"]
    for tool in tools:
        if not (shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")):
            return f"needs {tool} (docs/lab.md lists the packages)"
    return None


def lab(*args: str, check: bool = True, capture: bool = False) -> str:
    done = subprocess.run(
        ["bash", str(LAB), *args],
        check=check,
        text=True,
        stdout=subprocess.PIPE if capture else None,
        env={**os.environ, "DQLAB_TTL": os.environ.get("DQLAB_TTL", "1800")},
    )
    return done.stdout or ""


def on_host(host: str, mode: str, data: dict[str, Any]) -> dict[str, Any]:
    """Run this file in ``mode`` on a Disquaire host of the lab (its namespace and its
    environment file); ``data`` goes in as JSON on stdin, the answer is its last line."""
    done = subprocess.run(
        ["bash", str(LAB), "env-exec", host, sys.executable, __file__, mode],
        input=json.dumps(data),
        text=True,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{mode} on {host} failed:\n{done.stdout}\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def faults_run(seconds: float, started_file: Path, log: list[dict[str, Any]]) -> None:
    """The faults, at fixed points of the run (a thread of the orchestrator), timed from
    the moment the load generator starts its schedule (it may take seconds to start on a
    busy machine); at most two minutes are waited for it."""
    deadline = time.time() + 120
    started = 0.0
    while not started and time.time() < deadline:
        try:
            started = float(started_file.read_text())
        except (OSError, ValueError):  # not written yet
            time.sleep(0.1)
    started = started or time.time()

    def at(fraction: float) -> None:
        time.sleep(max(0.0, started + seconds * fraction - time.time()))

    def window(name: str, action: Any) -> None:
        begin = time.time()
        action()
        log.append({"fault": name, "start": begin, "end": time.time()})
        print(f"fault: {name} ({time.time() - begin:.1f} s)", flush=True)

    at(0.15)
    # A crash: the app host's processes die at once; it comes back 15 s later (systemd's
    # Restart=always would do the same).
    window("kill app2", lambda: (lab("kill", "app2"), time.sleep(15), lab("start", "app2")))
    at(0.35)
    # A worker dies in the middle of its encodings and stays dead: worker1 carries on
    # and takes over its claimed work once it is stale.
    window("kill worker2", lambda: lab("kill", "worker2"))
    at(0.5)
    window("restart PostgreSQL", lambda: lab("restart", "pg1"))
    at(0.7)
    window("S3 unreachable 10 s", lambda: lab("cut", "s3", "10"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 60-second run")
    parser.add_argument("--seconds", type=int, default=0, help="length of the traffic run")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="every arrival rate times this (1: RATES)"
    )
    parser.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    args = parser.parse_args()
    seconds = args.seconds or (60 if args.quick else 180)
    rates = {flow: rate * args.scale for flow, rate in RATES.items()}
    missing = lab_missing()
    if missing:
        print(f"cluster: skipped, the lab cannot be built here: {missing}")
        return

    import threading

    t0 = time.monotonic()
    try:
        lab("up")
        lab_up_s = time.monotonic() - t0
        print("publishing the demo band's releases ...", flush=True)
        lab("env-exec", "app1", sys.executable, "-m", "disquaire", "demo", "--no-serve",
            "--track-seconds", "4", capture=True)  # fmt: skip
        setup = on_host("app1", "--setup", {"wait_seconds": 240})
        print(f"set-up: {setup}", flush=True)
        setup["lb"] = lab("addr", "lb", capture=True).strip()
        setup["seconds"] = seconds
        setup["rates"] = rates
        spec = Path(tempfile.gettempdir()) / f"dq-cluster-{os.getpid()}.json"
        setup["started_file"] = str(spec) + ".started"
        spec.write_text(json.dumps(setup))

        # The lab at rest first: what its daemons burn with no visitor at all.
        idle = LabCpu()
        time.sleep(10)
        idle_cpu = idle.stop()

        faults: list[dict[str, Any]] = []
        publish = {"tracks": 4, "seconds": 8} if args.quick else {"tracks": 6, "seconds": 20}
        meter = LabCpu()
        # A second release goes out as the traffic starts: its encodings are running on
        # the workers when one of them is killed.
        publisher = threading.Thread(
            target=lambda: on_host("worker1", "--publish", publish), daemon=True
        )
        publisher.start()
        fault_thread = threading.Thread(
            target=faults_run, args=(seconds, Path(setup["started_file"]), faults)
        )
        fault_thread.start()
        driver = subprocess.run(
            ["ip", "netns", "exec", "dqlab-fan", sys.executable, __file__, "--drive", str(spec)],
            capture_output=True,
            text=True,
            timeout=seconds + 300,
            check=False,
        )
        fault_thread.join()
        publisher.join(timeout=300)
        cpu_used = meter.stop()
        if driver.returncode != 0:
            raise SystemExit(f"the traffic driver failed:\n{driver.stdout}\n{driver.stderr}")
        records = json.loads(Path(str(spec) + ".out").read_text())
        print("waiting for the work in flight to finish ...", flush=True)
        check = on_host(
            "app1",
            "--check",
            {"paid_codes": records["paid_codes"], "wait_seconds": 300, **setup},
        )
        lab_info = {
            "up_s": round(lab_up_s, 1),
            "idle_cpu_s_per_s": round(sum_cpu(idle_cpu) / idle.wall_s, 2),
            "idle_cpu": idle_cpu,
            "cpu": cpu_used,
            "wall_s": meter.wall_s,
            "machine_cpu_s": meter.machine_cpu_s,
            "loadavg": [meter.loadavg_start, meter.loadavg_end],
        }
        report(records, faults, check, seconds=seconds, rates=rates, lab_info=lab_info)
    finally:
        logs_keep()
        if not args.keep:
            lab("down", check=False)


def sum_cpu(cpu: dict[str, dict[str, float]], hosts: tuple[str, ...] | None = None) -> float:
    return sum(s for h, progs in cpu.items() if hosts is None or h in hosts for s in progs.values())


def logs_keep() -> None:
    """Copy the lab's logs to var/bench-cluster/ before the lab (and its folder) goes."""
    lab_dir = Path(os.environ.get("DQLAB_DIR", "/var/tmp/disquaire-lab"))
    if not lab_dir.is_dir():
        return
    target = ROOT / "var" / "bench-cluster" / time.strftime("%Y%m%d-%H%M%S")
    for log in [*lab_dir.glob("*/*.log"), *lab_dir.glob("s3/log/*")]:
        (target / log.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy2(log, target / log.parent.name / log.name)
    print(f"the lab's logs: {target}")


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def latency(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 1),
        "p95": round(percentile(values, 95), 1),
        "p99": round(percentile(values, 99), 1),
    }


# Hosts that serve visitors (against the workers' encodings, the publisher and the
# load generator, which are not the cost of a visit).
SERVING_HOSTS = ("lb", "app1", "app2", "pg1", "pg2", "redis", "s3")


def report(
    records: dict[str, Any],
    faults: list[dict[str, Any]],
    check: dict[str, Any],
    *,
    seconds: float,
    rates: dict[str, float],
    lab_info: dict[str, Any],
) -> None:
    windows = [(f["start"], f["end"] + RECOVERY_SECONDS) for f in faults]

    def in_fault(r: list[Any]) -> bool:
        # A request belongs to a fault when any part of it overlaps the window: one sent
        # just before a host is killed dies in flight with it.
        sent, ended = r[0], r[0] + r[3] / 1000
        return any(sent <= b and ended >= a for a, b in windows)

    requests = records["requests"]  # [t, kind, status, ms, outcome]
    # The public pages (nginx's cache, or an app host's shared cache behind it): the
    # target. Signed-in visitors' pages are reported apart.
    pages = [r for r in requests if r[1] in ("page_cached", "page_app")]
    calm_pages = [r[3] for r in pages if not in_fault(r) and r[4] == "ok"]
    errors_in = [r for r in requests if in_fault(r) and r[4] != "ok"]
    errors_out = [r for r in requests if not in_fault(r) and r[4] != "ok"]
    broken = [r for r in requests if r[4] == "broken"]
    kinds: dict[str, dict[str, int]] = {}
    for r in requests:
        kinds.setdefault(r[1], {}).setdefault(r[4], 0)
        kinds[r[1]][r[4]] += 1
    classes: dict[str, dict[str, Any]] = {}
    for name, members in CLASSES.items():
        ok = [r for r in requests if r[1] in members and r[4] == "ok"]
        classes[name] = {
            "calm": latency([r[3] for r in ok if not in_fault(r)]),
            "faults": latency([r[3] for r in ok if in_fault(r)]),
        }
    paid = len(records["paid_codes"])
    cpu = lab_info["cpu"]
    lab_cpu = sum_cpu(cpu)
    serving_cpu = sum_cpu(cpu, SERVING_HOSTS)
    wall = lab_info["wall_s"]
    lag_p99_ms = percentile(records["lag"], 99) * 1000
    other_cores = (lab_info["machine_cpu_s"] - lab_cpu) / wall
    # The latency figures say something of the lab only when the load generator kept its
    # schedule, other work left the machine to the lab, and there were calm seconds.
    quiet = lag_p99_ms < MAX_LAG_MS and other_cores < MAX_OTHER_CORES
    valid = quiet and len(calm_pages) >= MIN_CALM_PAGES
    result = {
        "bench": "cluster",
        "latency_valid": valid,
        "load_model": "open loop: Poisson arrivals a second per flow, see arrivals_per_s",
        "arrivals_per_s": rates,
        "page_rps": round(len(pages) / seconds, 1),
        "checkouts_per_s": round(paid / seconds, 2),
        "p99_ms": round(percentile(calm_pages, 99), 1),
        "p50_ms": round(percentile(calm_pages, 50), 1),
        "latency_ms": classes,
        "errors_during_faults": len(errors_in),
        "errors_outside_faults": len(errors_out),
        "broken_downloads": len(broken),
        "shed_arrivals": records["shed"],
        "schedule_lag_p99_ms": round(lag_p99_ms, 1),
        "lost_orders": check["lost_orders"],
        "double_fulfilled": check["double_fulfilled"],
        "oversold": check["oversold"],
        "lost_tasks": check["lost_tasks"],
        "ledger_wrong": check["ledger_wrong"],
        "stock_drift": check["stock_drift"],
        "paid_orders": paid,
        "confirmed_payments": check["confirmed_payments"],
        "seconds": seconds,
        "lab_cpu_s": round(lab_cpu, 1),
        "serving_cpu_s": round(serving_cpu, 1),
        "serving_cpu_s_per_checkout": round(serving_cpu / paid, 3) if paid else None,
        "cpu_s_by_host": {h: round(sum(p.values()), 1) for h, p in cpu.items()},
        "cpu_s_by_program": cpu,
        "lab_idle_cpu_s_per_s": lab_info["idle_cpu_s_per_s"],
        "machine_busy_cores": round(lab_info["machine_cpu_s"] / wall, 2),
        "lab_busy_cores": round(lab_cpu / wall, 2),
        "other_work_cores": round(other_cores, 2),
        "loadavg_start_end": lab_info["loadavg"],
        "lab_up_s": lab_info["up_s"],
        "target_p99_ms": TARGET_P99_MS,
    }
    for fault in faults:
        print(f"  {fault['fault']}: {fault['end'] - fault['start']:.1f} s")
    print(f"requests by kind and outcome: {json.dumps(kinds)}")
    print(f"the lab at rest, CPU s in 10 s: {json.dumps(lab_info['idle_cpu'])}")
    for line in check.get("problems", [])[:20]:
        print(f"  problem: {line}")
    for r in (errors_in + errors_out)[:15]:
        print(f"  not ok: {r[1]} {r[2]} {r[4]} at +{r[0] - records['started']:.1f} s")
    if not valid:
        print(
            f"latency figures not valid: schedule lag p99 {lag_p99_ms:.0f} ms (< {MAX_LAG_MS:.0f}),"
            f" other work {other_cores:.2f} cores (< {MAX_OTHER_CORES}),"
            f" {len(calm_pages)} calm public pages (>= {MIN_CALM_PAGES})"
        )
    print(json.dumps(result))
    bad = sum(
        check[k]
        for k in (
            "lost_orders",
            "double_fulfilled",
            "oversold",
            "lost_tasks",
            "ledger_wrong",
            "stock_drift",
        )
    )
    if bad or broken:
        raise SystemExit(1)


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "--drive":
        drive(Path(sys.argv[2]))
    elif mode in ("--setup", "--publish", "--check"):
        payload = json.loads(sys.stdin.read())
        handler = {"--setup": host_setup, "--publish": host_publish, "--check": host_check}
        print(json.dumps(handler[mode](payload)))
    else:
        try:
            main()
        except KeyboardInterrupt:
            sys.exit("interrupted (the lab was torn down)")
