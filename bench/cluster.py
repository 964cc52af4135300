"""Release day on several machines, with faults: the lab of deploy/lab/lab.sh under load.

Builds the lab (nginx, two app hosts, two workers, PostgreSQL primary + streaming
replica, Redis, Ceph's RADOS Gateway — each host in its own network namespace), publishes
the demo band's releases, then for a fixed time drives from the `fan` host a mix of
traffic through the load balancer: page views (nginx-cached and not), plays (the player's
data, then its stream with a Range header, followed to S3), add-to-cart + checkout +
payment confirmation of a numbered limited edition and of a digital album — by the test
provider, or by card through the Stripe fake of tests/payments/fake_stripe.py (run on the
fan host), confirmed by its signed webhook, delivered again until answered 2xx and
sometimes twice — and downloads of the paid zip. A second release is published as the
run starts, so that encodings are under way when the faults come. Meanwhile it SIGKILLs
one app host and one worker host, restarts the PostgreSQL primary once, and unplugs the
S3 host for 10 s.

Afterwards, from the database: every order whose payment was confirmed is paid exactly
once with its entitlements; no unit oversold; no task lost (every track, rendition and
zip finished or failed with a reason); every download either served whole or refused
cleanly. Last line, one JSON object:

    {"bench": "cluster", "page_rps", "checkouts_per_s", "p99_ms", "errors_during_faults",
     "lost_orders", "double_fulfilled", "oversold", "lost_tasks", ...}

Needs root and `ip netns` (the lab's network namespaces); skipped with one line otherwise.

    python bench/cluster.py [--quick] [--seconds 180] [--fans 16] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "deploy" / "lab" / "lab.sh"
TARGET_P99_MS = 200
# After a fault ends, this long still counts as its window (nginx's fail_timeout, the
# database connections' health checks, S3 clients reconnecting).
RECOVERY_SECONDS = 5.0
REQUEST_TIMEOUT = 30.0


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


def cpu_of_lab() -> dict[int, float]:
    """CPU seconds used so far by each process in the lab's namespaces."""
    sys.path.insert(0, str(ROOT / "bench"))
    from _common import proc_table

    table = proc_table()
    used: dict[int, float] = {}
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for name in (line.split()[0] for line in names.splitlines() if line.startswith("dqlab-")):
        pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True)
        used.update({int(p): table[int(p)][2] for p in pids.stdout.split() if int(p) in table})
    return used


class CpuMeter:
    """CPU seconds the lab's processes use during the run, killed ones included (each
    process is read every two seconds, so a killed one counts until its last reading)."""

    def __init__(self) -> None:
        import threading

        self.before = cpu_of_lab()
        self.last = dict(self.before)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.done.wait(2.0):
            self.last.update(cpu_of_lab())

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        self.last.update(cpu_of_lab())
        return sum(cpu - self.before.get(pid, 0.0) for pid, cpu in self.last.items())


def faults_run(seconds: float, started: float, log: list[dict[str, Any]]) -> None:
    """The faults, at fixed points of the run (a thread of the orchestrator)."""

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
    parser.add_argument("--fans", type=int, default=0, help="visitors at once")
    parser.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    args = parser.parse_args()
    seconds = args.seconds or (60 if args.quick else 180)
    fans = args.fans or (12 if args.quick else 16)
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
        setup["fans"] = fans
        spec = Path(tempfile.gettempdir()) / f"dq-cluster-{os.getpid()}.json"
        spec.write_text(json.dumps(setup))

        faults: list[dict[str, Any]] = []
        publish = {"tracks": 4, "seconds": 8} if args.quick else {"tracks": 6, "seconds": 20}
        meter = CpuMeter()
        started = time.time()
        # A second release goes out as the traffic starts: its encodings are running on
        # the workers when one of them is killed.
        publisher = threading.Thread(
            target=lambda: on_host("worker1", "--publish", publish), daemon=True
        )
        publisher.start()
        fault_thread = threading.Thread(target=faults_run, args=(seconds, started, faults))
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
        report(records, faults, check, seconds=seconds, cpu=cpu_used, lab_up_s=lab_up_s)
    finally:
        logs_keep()
        if not args.keep:
            lab("down", check=False)


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


def report(
    records: dict[str, Any],
    faults: list[dict[str, Any]],
    check: dict[str, Any],
    *,
    seconds: float,
    cpu: float,
    lab_up_s: float,
) -> None:
    windows = [(f["start"], f["end"] + RECOVERY_SECONDS) for f in faults]

    def in_fault(t: float) -> bool:
        return any(a <= t <= b for a, b in windows)

    requests = records["requests"]  # [t, kind, status, ms, outcome]
    # The public pages (nginx's cache, or an app host's shared cache behind it): the
    # target. Signed-in visitors' pages, rendered every time, are reported apart.
    pages = [r for r in requests if r[1] in ("page_cached", "page_app")]
    calm_pages = [r[3] for r in pages if not in_fault(r[0]) and r[4] == "ok"]
    calm_signed_in = [
        r[3] for r in requests if r[1] == "page_signed_in" and not in_fault(r[0]) and r[4] == "ok"
    ]
    errors_in = [r for r in requests if in_fault(r[0]) and r[4] != "ok"]
    errors_out = [r for r in requests if not in_fault(r[0]) and r[4] != "ok"]
    broken = [r for r in requests if r[4] == "broken"]
    kinds: dict[str, dict[str, int]] = {}
    for r in requests:
        kinds.setdefault(r[1], {}).setdefault(r[4], 0)
        kinds[r[1]][r[4]] += 1
    paid = len(records["paid_codes"])
    result = {
        "bench": "cluster",
        "page_rps": round(len(pages) / seconds, 1),
        "checkouts_per_s": round(paid / seconds, 2),
        "p99_ms": round(percentile(calm_pages, 99), 1),
        "p50_ms": round(percentile(calm_pages, 50), 1),
        "p99_cached_ms": round(
            percentile([r[3] for r in pages if r[1] == "page_cached" and not in_fault(r[0])], 99),
            1,
        ),
        "p99_signed_in_ms": round(percentile(calm_signed_in, 99), 1),
        "errors_during_faults": len(errors_in),
        "errors_outside_faults": len(errors_out),
        "broken_downloads": len(broken),
        "lost_orders": check["lost_orders"],
        "double_fulfilled": check["double_fulfilled"],
        "oversold": check["oversold"],
        "lost_tasks": check["lost_tasks"],
        "paid_orders": paid,
        "confirmed_payments": check["confirmed_payments"],
        "seconds": seconds,
        "lab_cpu_s": round(cpu, 1),
        "lab_cpu_s_per_checkout": round(cpu / paid, 3) if paid else None,
        "load_cpu_s": round(records["cpu_s"], 1),
        "lab_up_s": round(lab_up_s, 1),
        "target_p99_ms": TARGET_P99_MS,
    }
    for fault in faults:
        print(f"  {fault['fault']}: {fault['end'] - fault['start']:.1f} s")
    print(f"requests by kind and outcome: {json.dumps(kinds)}")
    for line in check.get("problems", [])[:20]:
        print(f"  problem: {line}")
    for r in (errors_in + errors_out)[:15]:
        print(f"  not ok: {r[1]} {r[2]} {r[4]} at +{r[0] - records['started']:.1f} s")
    print(json.dumps(result))
    bad = check["lost_orders"] + check["double_fulfilled"] + check["oversold"] + check["lost_tasks"]
    if bad or broken:
        raise SystemExit(1)


# --- on a Disquaire host of the lab: set-up, a release published mid-run, the checks -------


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "disquaire.config.settings")
    import django

    django.setup()


def work_pending() -> int:
    from disquaire.catalog.models import ProcessingStatus, Rendition, Track
    from disquaire.delivery.models import ReleaseZip

    done = (ProcessingStatus.READY, ProcessingStatus.FAILED)
    return (
        Track.objects.exclude(status__in=done).count()
        + Rendition.objects.exclude(status__in=done).count()
        + ReleaseZip.objects.exclude(status__in=done).count()
    )


def work_wait(seconds: float) -> int:
    from django.db import close_old_connections

    deadline = time.monotonic() + seconds
    while True:
        try:
            pending = work_pending()
        except Exception:
            close_old_connections()
            pending = -1
        if pending == 0 or time.monotonic() > deadline:
            return pending
        time.sleep(2)


def host_setup(data: dict[str, Any]) -> dict[str, Any]:
    """The offers the fans buy: the demo's numbered edition, and the album as a download."""
    django_setup()
    from django.conf import settings

    from disquaire.catalog.models import Artist, Release
    from disquaire.selling.models import Offer

    providers = settings.PAYMENT_PROVIDERS
    pending = work_wait(data["wait_seconds"])
    artist = Artist.objects.order_by("pk").first()
    assert artist is not None, "the demo band is missing"
    album = Release.objects.filter(artist=artist).order_by("pk").first()
    assert album is not None
    limited = Offer.objects.filter(artist=artist, numbered=True).order_by("pk").first()
    digital, _ = Offer.objects.get_or_create(
        artist=artist,
        release=album,
        title="Release day download",
        defaults={"kind": Offer.Kind.DIGITAL, "price_minor": 700},
    )
    return {
        "artist": artist.slug,
        "releases": [
            {"id": r.pk, "path": f"/{artist.slug}/{r.slug}/"}
            for r in Release.objects.filter(artist=artist, visibility=Release.Visibility.PUBLISHED)
        ],
        "limited_offer": limited.pk if limited else None,
        "limited_stock": limited.stock if limited else None,
        "digital_offer": digital.pk,
        "stripe_api": settings.DISQUAIRE_STRIPE_API_BASE if "stripe" in providers else "",
        "stripe_webhook_secret": settings.DISQUAIRE_STRIPE_WEBHOOK_SECRET,
        "pending_before": pending,
    }


def host_publish(data: dict[str, Any]) -> dict[str, Any]:
    """A new release of generated tracks, published: its encodings run on the workers."""
    django_setup()
    import tempfile

    from disquaire.audio import synth_track
    from disquaire.catalog import services
    from disquaire.catalog.demo import DEMO_ARTIST

    folder = Path(tempfile.mkdtemp(prefix="dq-cluster-release-"))
    for n in range(1, data["tracks"] + 1):
        path = folder / f"{n:02d} - Release Day {n}.flac"
        synth_track(path=path, seconds=data["seconds"], seed=900 + n)
    result = services.release_import(
        artist_name=DEMO_ARTIST, path=folder, title="Release Day", publish=True
    )
    shutil.rmtree(folder, ignore_errors=True)
    return {"published": result.release is not None}


def host_check(data: dict[str, Any]) -> dict[str, Any]:
    """What the run left in the database, once the work in flight is done."""
    django_setup()
    from django.db.models import Count, Q, Sum

    from disquaire.catalog.models import ProcessingStatus, Rendition, Track
    from disquaire.delivery.models import Entitlement, EntitlementSource, ReleaseZip
    from disquaire.orders.models import (
        EditionUnit,
        Order,
        OrderState,
        Payment,
        PaymentState,
        Reservation,
    )
    from disquaire.selling.models import Offer

    pending = work_wait(data["wait_seconds"])
    problems: list[str] = []
    paid_states = (OrderState.PAID, OrderState.FULFILLED)

    # Orders: every confirmed payment's order is paid, once, with its entitlements.
    lost = 0
    confirmed = Payment.objects.filter(state=PaymentState.CONFIRMED)
    for payment in confirmed.select_related("order"):
        order = payment.order
        if order.state not in paid_states:
            lost += 1
            problems.append(f"order {order.code}: payment confirmed, order {order.state}")
            continue
        downloads = order.lines.filter(includes_download=True).count()
        granted = Entitlement.objects.filter(
            source=EntitlementSource.ORDER, source_ref=f"order:{order.code}"
        ).count()
        if downloads and not granted:
            lost += 1
            problems.append(f"order {order.code}: paid without its entitlements")
    for code in data["paid_codes"]:
        order = Order.objects.filter(code=code).first()
        if order is None or order.state not in paid_states:
            lost += 1
            problems.append(f"order {code}: the fan saw it paid, the database has {order}")
    double = Order.objects.annotate(
        n=Count("payments", filter=Q(payments__state=PaymentState.CONFIRMED))
    ).filter(n__gt=1)
    double_fulfilled = double.count()
    problems += [f"order {o.code}: {o.n} confirmed payments" for o in double]
    duplicate_grants = (
        Entitlement.objects.filter(source=EntitlementSource.ORDER)
        .values("email", "release", "track", "source_ref")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    double_fulfilled += duplicate_grants

    # Stock: no offer sold past its stock, no edition number twice.
    oversold = 0
    for offer in Offer.objects.filter(stock__isnull=False):
        sold = (
            Reservation.objects.filter(offer=offer, state=Reservation.State.CONSUMED).aggregate(
                n=Sum("quantity")
            )["n"]
            or 0
        )
        if sold > offer.stock:
            oversold += sold - offer.stock
            problems.append(f"offer {offer.pk}: {sold} sold of {offer.stock}")
    oversold += (
        EditionUnit.objects.values("offer", "number").annotate(n=Count("pk")).filter(n__gt=1)
    ).count()

    # Tasks: nothing still waiting, nothing failed without saying why.
    done = (ProcessingStatus.READY, ProcessingStatus.FAILED)
    lost_tasks = 0
    for model in (Track, Rendition, ReleaseZip):
        stuck = model.objects.exclude(status__in=done).count()
        silent = model.objects.filter(status=ProcessingStatus.FAILED, error="").count()
        failed = model.objects.filter(status=ProcessingStatus.FAILED).count()
        lost_tasks += stuck + silent
        if stuck or silent or failed:
            problems.append(
                f"{model.__name__}: {stuck} unfinished, {failed} failed ({silent} without reason)"
            )
    return {
        "lost_orders": lost,
        "double_fulfilled": double_fulfilled,
        "oversold": oversold,
        "lost_tasks": lost_tasks,
        "confirmed_payments": confirmed.count(),
        "pending_after_wait": pending,
        "problems": problems,
    }


# --- the traffic driver (on the fan host) -------------------------------------------------


class Browser:
    """One visitor: cookies and a keep-alive connection per host (asyncio streams)."""

    def __init__(self, lb: str) -> None:
        self.lb = lb
        self.csrf = secrets.token_hex(16)
        self.cookies: dict[str, str] = {"csrftoken": self.csrf}
        self.conns: dict[tuple[str, int], tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}

    async def close(self) -> None:
        for _reader, writer in self.conns.values():
            writer.close()
        self.conns.clear()

    async def request(
        self,
        method: str,
        url: str,
        *,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        cookies: bool = True,
        raw_body: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes, bool]:
        """(status, headers, body, whole): ``whole`` is False when the body was cut."""
        parts = urlsplit(url if "://" in url else f"http://{self.lb}{url}")
        host, port = parts.hostname or self.lb, parts.port or 80
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
        body = raw_body or b""
        if data is not None:
            body = urlencode({**data, "csrfmiddlewaretoken": self.csrf}).encode()
            lines += ["Content-Type: application/x-www-form-urlencoded"]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        if cookies and host == self.lb:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        key = (host, port)
        if key not in self.conns:
            self.conns[key] = await asyncio.open_connection(host, port)
        reader, writer = self.conns[key]
        try:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            # A kept-alive connection the server closed meanwhile: once more, anew.
            writer.close()
            self.conns[key] = await asyncio.open_connection(host, port)
            reader, writer = self.conns[key]
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        fields: dict[str, str] = {}
        for line in header_lines:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie" and host == self.lb:
                match = re.match(r"\s*([^=;]+)=([^;]*)", value)
                if match:
                    self.cookies[match.group(1)] = match.group(2)
            fields[name] = value
        content = b""
        whole = True
        try:
            if method == "HEAD" or status in (204, 304):
                pass
            elif fields.get("transfer-encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int((await reader.readline()).split(b";")[0], 16)
                    chunks.append(await reader.readexactly(size + 2))
                    if size == 0:
                        break
                content = b"".join(c[:-2] for c in chunks)
            elif "content-length" in fields:
                content = await reader.readexactly(int(fields["content-length"]))
            else:
                content = await reader.read()
                fields["connection"] = "close"
        except (OSError, asyncio.IncompleteReadError, ValueError):
            whole = False
            fields["connection"] = "close"
        if fields.get("connection", "").lower() == "close":
            writer.close()
            self.conns.pop(key, None)
        return status, fields, content, whole


class Driver:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.lb = spec["lb"]
        self.requests: list[list[Any]] = []
        self.paid_codes: list[str] = []
        self.started = time.time()
        self.stripe = stripe_fake_start(spec) if spec.get("stripe_api") else None

    def record(self, kind: str, status: int, began: float, outcome: str) -> None:
        self.requests.append([began, kind, status, (time.time() - began) * 1000, outcome])

    async def call(
        self, browser: Browser, kind: str, method: str, url: str, **kw: Any
    ) -> tuple[int, dict[str, str], bytes]:
        """One request, recorded: ok (the expected answer), refused (a complete error
        answer: 4xx/5xx), error (no answer) or broken (an answer cut short)."""
        began = time.time()
        expect = kw.pop("expect", (200, 204, 206, 301, 302, 304))
        try:
            status, headers, body, whole = await asyncio.wait_for(
                browser.request(method, url, **kw), REQUEST_TIMEOUT
            )
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            await browser.close()
            self.record(kind, 0, began, "error")
            return 0, {}, b""
        if not whole:
            outcome = "broken"
        elif status in expect:
            outcome = "ok"
        else:
            outcome = "refused"
        self.record(kind, status, began, outcome)
        return status, headers, body

    async def page_viewer(self, browser: Browser, rng: random.Random) -> None:
        release = rng.choice(self.spec["releases"])
        path = rng.choice(["/", f"/{self.spec['artist']}/", release["path"]])
        roll = rng.random()
        if roll < 0.75:
            await self.call(browser, "page_cached", "GET", path, cookies=False)
        elif roll < 0.95:
            # A link with a campaign tag: a page nginx has not cached, which an app host
            # answers (from the page cache they share in Redis).
            tagged = f"{path}?ref=share{rng.randrange(10**9)}"
            await self.call(browser, "page_app", "GET", tagged, cookies=False)
        else:
            # A signed-in visitor: no cache at all, the app renders the page.
            headers = {"Cookie": "sessionid=visitor"}
            await self.call(browser, "page_signed_in", "GET", path, headers=headers, cookies=False)

    async def listener(self, browser: Browser, rng: random.Random) -> None:
        release = rng.choice(self.spec["releases"])
        status, _h, body = await self.call(
            browser, "play_data", "GET", f"/api/listen/{release['id']}/"
        )
        if status != 200:
            return
        tracks = [t for t in json.loads(body)["tracks"] if t.get("sources")]
        if not tracks:
            return
        source = rng.choice(rng.choice(tracks)["sources"])["src"]
        headers = {"Range": "bytes=0-65535"}
        status, h, _ = await self.call(browser, "play", "GET", source, headers=headers)
        if status == 302:
            await self.call(browser, "play_s3", "GET", h["location"], headers=headers)

    async def buyer(self, browser: Browser, rng: random.Random) -> None:
        limited = self.spec["limited_offer"] and rng.random() < 0.4
        offer = self.spec["limited_offer"] if limited else self.spec["digital_offer"]
        status, h, _ = await self.call(
            browser, "cart", "POST", "/cart/add/", data={"offer": str(offer), "next": "/?refused"}
        )
        if status != 302 or "refused" in h.get("location", ""):
            return
        card = self.stripe is not None and rng.random() < 0.4
        # The checkout page shows the exact total (its script asks quote.json for the
        # country) and the form sends back the total shown, as a browser does.
        status, _h, body = await self.call(
            browser, "quote", "GET", f"/checkout/{self.spec['artist']}/quote.json?country=FR"
        )
        if status != 200:
            return
        total = json.loads(body).get("total_minor")
        form = {
            "total_shown": "" if total is None else str(total),
            "email": f"fan{rng.randrange(10**9)}@example.org",
            "provider": "stripe" if card else "test",
            "name": "A Fan",
            "address": "1 rue de la Gare",
            "postcode": "75001",
            "city": "Paris",
            "country": "FR",
        }
        status, h, _ = await self.call(
            browser, "checkout", "POST", f"/checkout/{self.spec['artist']}/", data=form,
            expect=(302, 400),
        )  # fmt: skip
        if card and status == 302 and "/pay/cs_" in h.get("location", ""):
            await self.card_payment(browser, rng, h["location"].rsplit("/", 1)[1], limited)
            return
        if status != 302 or "/payments/test/" not in h.get("location", ""):
            return
        pay = urlsplit(h["location"]).path
        for attempt in range(3):
            # A fan whose payment page failed presses the button again.
            status, h, _ = await self.call(
                browser, "pay", "POST", pay, data={"outcome": "success"}, expect=(302,)
            )
            if status == 302 and "/orders/" in h.get("location", ""):
                break
            await asyncio.sleep(1 + attempt)
        else:
            return
        order_path = urlsplit(h["location"]).path
        self.paid_codes.append(order_path.strip("/").split("/")[1])
        if not limited:
            await self.downloader(browser, order_path)

    async def card_payment(
        self, browser: Browser, rng: random.Random, session_id: str, limited: bool
    ) -> None:
        """The fan pays on Stripe's page (the fake), Stripe tells the shop by webhook, and
        delivers it again until it is answered 2xx — sometimes twice anyway."""
        assert self.stripe is not None
        session = self.stripe.complete(session_id)
        body, signature = self.stripe.event("checkout.session.completed", session)
        headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
        for attempt in range(6):
            status, _h, _ = await self.call(
                browser,
                "webhook",
                "POST",
                "/payments/stripe/webhook/",
                raw_body=body,
                headers=headers,
                cookies=False,
                expect=(200,),
            )
            if status == 200:
                break
            await asyncio.sleep(1 + 2 * attempt)
        else:
            return
        if rng.random() < 0.2:
            await self.call(
                browser,
                "webhook_again",
                "POST",
                "/payments/stripe/webhook/",
                raw_body=body,
                headers=headers,
                cookies=False,
                expect=(200,),
            )
        order_path = urlsplit(session["success_url"]).path
        self.paid_codes.append(order_path.strip("/").split("/")[1])
        if not limited:
            await self.downloader(browser, order_path)

    async def downloader(self, browser: Browser, order_path: str) -> None:
        status, _h, body = await self.call(browser, "order_page", "GET", order_path)
        found = re.search(rb'href="(/downloads/[^"/]+/)"', body)
        if status != 200 or found is None:
            return
        status, _h, body = await self.call(browser, "download_page", "GET", found.group(1).decode())
        zip_link = re.search(rb'href="(/downloads/[^"]+/zip/[^"]+/)"', body)
        if status != 200 or zip_link is None:
            return
        url = zip_link.group(1).decode().replace("&amp;", "&")
        status, h, body = await self.call(browser, "download", "GET", url)
        if status == 302:
            status, h, body = await self.call(browser, "download_s3", "GET", h["location"])
        if status == 200 and not zip_whole(body):
            self.record("download", status, time.time(), "broken")

    async def visitor(self, number: int, deadline: float) -> None:
        rng = random.Random(number)
        while time.time() < deadline:
            browser = Browser(self.lb)
            try:
                roll = rng.random()
                if roll < 0.55:
                    for _ in range(5):
                        await self.page_viewer(browser, rng)
                elif roll < 0.8:
                    await self.listener(browser, rng)
                else:
                    await self.buyer(browser, rng)
            finally:
                await browser.close()

    async def warm_up(self) -> None:
        """Each page once, as the first visitors of the day would: nginx's cache filled."""
        browser = Browser(self.lb)
        try:
            for path in ["/", f"/{self.spec['artist']}/"] + [
                r["path"] for r in self.spec["releases"]
            ]:
                await browser.request("GET", path, cookies=False)
        finally:
            await browser.close()

    async def run(self) -> None:
        await self.warm_up()
        self.started = time.time()
        deadline = self.started + self.spec["seconds"]
        await asyncio.gather(*(self.visitor(n, deadline) for n in range(self.spec["fans"])))


def stripe_fake_start(spec: dict[str, Any]) -> Any:
    """The Stripe fake of the test suite, serving the app hosts from the fan host (the
    lab's DISQUAIRE_STRIPE_API_BASE points here)."""
    import threading
    from http.server import ThreadingHTTPServer

    sys.path.insert(0, str(ROOT))
    from tests.payments.fake_stripe import FakeStripe

    fake = FakeStripe(webhook_secret=spec["stripe_webhook_secret"])
    fake.server.server_close()  # its own server on 127.0.0.1: one on the lab address instead
    address = urlsplit(spec["stripe_api"])
    fake.server = ThreadingHTTPServer((address.hostname, address.port), fake._handler())
    fake.server.daemon_threads = True
    fake.base = spec["stripe_api"]
    fake._thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    return fake.start()


def zip_whole(body: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return bool(archive.namelist()) and archive.testzip() is None
    except zipfile.BadZipFile:
        return False


def drive(spec_path: Path) -> None:
    spec = json.loads(spec_path.read_text())
    driver = Driver(spec)
    asyncio.run(driver.run())
    Path(str(spec_path) + ".out").write_text(
        json.dumps(
            {
                "started": driver.started,
                "requests": driver.requests,
                "paid_codes": driver.paid_codes,
                "cpu_s": time.process_time(),
            }
        )
    )


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
