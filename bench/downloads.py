"""Paid downloads benchmark: a 100 MB file through the app, through nginx X-Accel, static.

In one run on this machine: makes a temporary data dir (SQLite) holding a release whose
track has a 100 MB rendition of random bytes and an entitlement to it, then downloads the
file through its signed download URL, with 1 and then 8 clients at once, three ways:

- **embedded**: `disquaire serve --production` alone (DISQUAIRE_FILE_SERVING=direct: the
  app checks the link and gunicorn sends the file with sendfile);
- **xaccel**: nginx in front of a second `disquaire serve --production` with
  DISQUAIRE_FILE_SERVING=x-accel, using deploy/nginx/disquaire.conf (as bench/pages.py
  does): the app checks the link and answers with X-Accel-Redirect, nginx sends the file;
- **static**: nginx sending the same file as a plain static file (the limit).

Clients are curl processes writing to /dev/null, each downloading again and again for
the length of a pass; three passes alternate between the three ways (2 s in all per
way and client count with --quick, else 6 s) and each figure is the median of its
passes. While the 8 downloads run, a thread loads a page from the same server at a
steady PAGES_PER_S (keep-alive; the release page, or for the static way the same HTML as
a file, so that all three ways carry the same extra load), for the pages' p99; another
samples the resident memory of the app's gunicorn processes (master and workers).

Prints MB/s, the ratios against static, the peak memory and the pages' p99, then last
one JSON line. Needs nginx and curl (as root, installs Debian's `nginx-light` when
missing).

    python bench/downloads.py [--quick] [--seconds S] [--size-mb 100] [--threads N]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import tree_cpu_seconds
from pages import (  # the sibling scripts, once bench/ is on the path
    app_env,
    free_port,
    nginx_config,
    processes,
    wait_for,
)

MB = 1024 * 1024
CLIENTS = 8


def nginx_ensure() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("bench/downloads.py needs nginx: apt-get install nginx-light (as root)")
    print("installing nginx: apt-get install -y nginx-light", flush=True)
    subprocess.run(
        ["apt-get", "install", "-y", "nginx-light"],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("nginx", path="/usr/sbin:/sbin:/usr/bin") or "nginx"


def data_create(data: Path, *, size_mb: int) -> dict[str, Any]:
    """The release, its 100 MB rendition and an entitlement; returns the paths to load."""
    os.environ["DISQUAIRE_DATA_DIR"] = str(data)
    from _common import setup_django

    setup_django(data)
    from django.core.files.storage import default_storage

    from disquaire.catalog.models import Artist, ProcessingStatus, Release, Rendition, Track
    from disquaire.delivery.links import download_token_make
    from disquaire.delivery.services import entitlement_grant

    artist = Artist.objects.create(name="Bench Band", slug="bench-band")
    release = Release.objects.create(
        artist=artist, title="Heavy Files", slug="heavy-files", visibility="published"
    )
    track = Track.objects.create(
        release=release, position=1, title="A Long One", slug="a-long-one", status="ready"
    )
    name = f"renditions/{track.pk}/flac.flac"
    path = Path(default_storage.path(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(size_mb):
            block = os.urandom(MB)
            digest.update(block)
            out.write(block)
    Rendition.objects.create(
        track=track,
        format="flac",
        file=name,
        bytes=size_mb * MB,
        sha256=digest.hexdigest(),
        status=ProcessingStatus.READY,
    )
    # One fan per client, each with their own link, as in real life: identical URLs
    # would meet nginx's proxy_cache_lock (see docs/delivery.md) and measure that instead.
    downloads = []
    for client in range(CLIENTS):
        entitlement = entitlement_grant(
            email=f"bench{client}@example.org", release=release, source="free", ref="bench"
        )
        token = download_token_make(entitlement_ids=[entitlement.pk], ttl_seconds=3 * 3600)
        downloads.append(f"/downloads/{token}/{entitlement.pk}/{track.pk}/flac/")
    # nginx workers run as another user when started by root.
    for folder, _dirs, files in os.walk(data):
        Path(folder).chmod(0o755)
        for file in files:
            (Path(folder) / file).chmod(0o644)
    return {
        "downloads": downloads,
        "page": release.get_absolute_url(),
        "file": path,
        "sha256": digest.hexdigest(),
    }


def curl_download(url: str) -> tuple[int, float]:
    """Download ``url`` to /dev/null; (bytes, seconds)."""
    done = subprocess.run(
        [
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download} %{time_total}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    code, size, seconds = done.stdout.split()
    if code != "200":
        raise SystemExit(f"{url}: HTTP {code}")
    return int(size), float(seconds)


def check_bytes(url: str, expected: str) -> None:
    digest = hashlib.sha256()
    with subprocess.Popen(["curl", "-sS", url], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        while block := proc.stdout.read(MB):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise SystemExit(f"{url}: the bytes differ from the file")


def load(urls: list[str], *, clients: int, seconds: float) -> tuple[float, float]:
    """MB/s and MB downloaded by ``clients`` curl processes, client i downloading
    ``urls[i]`` again and again until ``seconds`` have passed (the last downloads are
    finished, and counted)."""
    deadline = time.perf_counter() + seconds

    def client(index: int) -> int:
        url = urls[index % len(urls)]
        total = 0
        while True:
            size, _took = curl_download(url)
            total += size
            if time.perf_counter() >= deadline:
                return total

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        done = sum(pool.map(client, range(clients)))
    return done / MB / (time.perf_counter() - start), done / MB


def tree_rss_mb(root: int) -> float:
    """Resident memory of process ``root`` and its descendants, in MB (from /proc)."""
    from _common import proc_table, proc_tree

    total = 0
    for pid in proc_tree(root, proc_table()):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class Sampler(threading.Thread):
    """Peak of tree_rss_mb(pid), sampled every 50 ms until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            time.sleep(0.05)


# Visitors' page loads while the downloads run: a busy shop, the same for the three ways.
# (A loop as fast as it can go would itself eat a good part of a core, and only on the
# ways that have an app to load pages from.)
PAGES_PER_S = 50


class PageLoop(threading.Thread):
    """Loads ``path`` on a keep-alive connection, ``rate`` times a second; latencies in ms."""

    def __init__(self, port: int, path: str, rate: float = PAGES_PER_S) -> None:
        super().__init__(daemon=True)
        self.port, self.path, self.stop = port, path, threading.Event()
        self.interval = 1 / rate
        self.latencies: list[float] = []

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        due = time.perf_counter()
        while not self.stop.is_set():
            start = time.perf_counter()
            conn.request("GET", self.path)
            response = conn.getresponse()
            response.read()
            self.latencies.append((time.perf_counter() - start) * 1000)
            if response.status != 200:
                raise SystemExit(f"{self.path}: HTTP {response.status}")
            due += self.interval
            self.stop.wait(max(0.0, due - time.perf_counter()))
        conn.close()


PASSES = 3


def measure_init() -> dict[str, Any]:
    nan = float("nan")
    return {
        "one": [],
        "eight": [],
        "latencies": [],
        "peak_rss_mb": 0.0,
        "cpu_s": 0.0,
        "mb": 0.0,
        "idle_rss_mb": nan,
        "pages_p99_idle_ms": nan,
    }


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2-second runs (under a minute)")
    parser.add_argument("--seconds", type=float, default=0, help="length of each run")
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--threads", type=int, default=0, help="passed to disquaire serve")
    parser.add_argument(
        "--same-url",
        action="store_true",
        help="every client on one link (shows nginx's proxy_cache_lock, docs/delivery.md)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    seconds = args.seconds or (2 if args.quick else 6)
    nginx = nginx_ensure()
    if not shutil.which("curl"):
        raise SystemExit("bench/downloads.py needs curl")

    base = Path(tempfile.mkdtemp(prefix="dq-bench-downloads-"))
    base.chmod(0o755)
    data = base / "data"
    data.mkdir()
    env = app_env(data)
    env["DISQUAIRE_DOWNLOAD_LIMIT"] = "1000000"
    env["DISQUAIRE_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    results: dict[str, dict[str, Any]] = {}
    try:
        print(f"making a {args.size_mb} MB rendition and its entitlement (SQLite) ...", flush=True)
        made = data_create(data, size_mb=args.size_mb)
        static = base / "static"
        static.mkdir()
        static.chmod(0o755)
        os.link(made["file"], static / "file.bin")
        with processes() as group:
            serve = [sys.executable, "-m", "disquaire", "serve", "--production", "--no-worker"]
            if args.threads:
                serve += ["--threads", str(args.threads)]
            direct_port, xaccel_app_port = free_port(), free_port()
            site_port, static_port = free_port(), free_port()
            direct = group.start(
                [*serve, "--port", str(direct_port)], env=env, log=base / "direct.log"
            )
            xaccel_app = group.start(
                [*serve, "--port", str(xaccel_app_port), "--no-migrate"],
                env={**env, "DISQUAIRE_FILE_SERVING": "x-accel"},
                log=base / "xaccel.log",
            )
            wait_for(f"http://127.0.0.1:{direct_port}{made['page']}", proc=direct)
            wait_for(f"http://127.0.0.1:{xaccel_app_port}{made['page']}", proc=xaccel_app)
            # The static way's visitors load the same page, as a file.
            with urllib.request.urlopen(f"http://127.0.0.1:{direct_port}{made['page']}") as page:
                (static / "page.html").write_bytes(page.read())
            (static / "page.html").chmod(0o644)
            (base / "nginx-cache").mkdir(exist_ok=True)
            conf = nginx_config(
                base=base,
                data=data,
                cache=base / "nginx-cache",
                app_port=xaccel_app_port,
                site_port=site_port,
                static_port=static_port,
            )
            proxy = group.start(
                [nginx, "-c", str(conf), "-p", str(base)], env=env, log=base / "nginx.out"
            )
            wait_for(f"http://127.0.0.1:{site_port}{made['page']}", proc=proxy)

            targets = {
                "embedded": (direct_port, direct.pid, f"http://127.0.0.1:{direct_port}"),
                "xaccel": (site_port, xaccel_app.pid, f"http://127.0.0.1:{site_port}"),
                "static": (static_port, None, f"http://127.0.0.1:{static_port}"),
            }
            # Whose CPU each way costs: the app; nginx and the app; nginx.
            servers = {
                "embedded": [direct.pid],
                "xaccel": [proxy.pid, xaccel_app.pid],
                "static": [proxy.pid],
            }
            urls = {
                name: [root + "/file.bin"]
                if name == "static"
                else [root + path for path in made["downloads"][: 1 if args.same_url else None]]
                for name, (_port, _pid, root) in targets.items()
            }
            page_paths = {
                name: "/page.html" if name == "static" else made["page"] for name in targets
            }
            results = {name: measure_init() for name in targets}
            for name, url in urls.items():
                check_bytes(url[0], made["sha256"])
                load(url, clients=CLIENTS, seconds=0.5)  # warm-up: page cache, connections
                port, pid, _root = targets[name]
                if pid:
                    # The page loop without downloads: what the machine gives anyway.
                    quiet = PageLoop(port, page_paths[name])
                    quiet.start()
                    time.sleep(1.5)
                    quiet.stop.set()
                    quiet.join(timeout=30)
                    results[name]["pages_p99_idle_ms"] = p99(quiet.latencies)
                    results[name]["idle_rss_mb"] = tree_rss_mb(pid)
            # Passes alternate between the three ways, so that other work on the machine
            # weighs on each alike; each figure is the median of its passes.
            for _pass in range(PASSES):
                for name, url in urls.items():
                    port, pid, _root = targets[name]
                    results[name]["one"].append(load(url, clients=1, seconds=seconds / PASSES)[0])
                    sampler = Sampler(pid) if pid else None
                    pages = PageLoop(port, page_paths[name])
                    for helper in (sampler, pages):
                        if helper is not None:
                            helper.start()
                    cpu_before = tree_cpu_seconds(*servers[name])
                    rate, megabytes = load(url, clients=CLIENTS, seconds=seconds / PASSES)
                    results[name]["mb"] += megabytes  # counted, not rate × time
                    results[name]["cpu_s"] += tree_cpu_seconds(*servers[name]) - cpu_before
                    results[name]["eight"].append(rate)
                    for helper in (sampler, pages):
                        if helper is not None:
                            helper.stop.set()
                            helper.join(timeout=30)
                    if sampler is not None:
                        results[name]["peak_rss_mb"] = max(
                            results[name]["peak_rss_mb"], sampler.peak
                        )
                    results[name]["latencies"] += pages.latencies
            for name, r in results.items():
                r["cpu_s_per_gb"] = r["cpu_s"] * 1000 / max(r["mb"], 1.0)
                r["one"] = statistics.median(r["one"])
                r["eight"] = statistics.median(r["eight"])
                r["pages_p99_ms"] = p99(r["latencies"]) if r["latencies"] else float("nan")
                print(
                    f"{name:>8}: 1 client {r['one']:8,.0f} MB/s   8 clients {r['eight']:8,.0f} MB/s"
                    f"   server CPU {r['cpu_s_per_gb']:.2f} s a GB"
                    + (
                        f"   app RSS {r['idle_rss_mb']:4.0f} → peak {r['peak_rss_mb']:4.0f} MB"
                        f"   pages p99 {r['pages_p99_ms']:6.1f} ms ({len(r['latencies'])} loads;"
                        f" {r['pages_p99_idle_ms']:.1f} ms without downloads)"
                        if name != "static"
                        else f"   page file p99 {r['pages_p99_ms']:6.1f} ms"
                    ),
                    flush=True,
                )
    finally:
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)

    limit = results["static"]["eight"]
    ratio_embedded = results["embedded"]["eight"] / limit
    ratio_xaccel = results["xaccel"]["eight"] / limit
    print(
        f"ratios at 8 clients (× nginx static): embedded {ratio_embedded:.3f}, "
        f"x-accel {ratio_xaccel:.3f}; at 1 client: embedded "
        f"{results['embedded']['one'] / results['static']['one']:.3f}, x-accel "
        f"{results['xaccel']['one'] / results['static']['one']:.3f}"
    )
    print(
        json.dumps(
            {
                "bench": "downloads",
                "embedded_mb_s": round(results["embedded"]["eight"]),
                "xaccel_mb_s": round(results["xaccel"]["eight"]),
                "static_mb_s": round(limit),
                "ratio_embedded": round(ratio_embedded, 3),
                "ratio_xaccel": round(ratio_xaccel, 3),
                "peak_rss_mb": round(results["embedded"]["peak_rss_mb"]),
                "pages_p99_ms_during": round(results["embedded"]["pages_p99_ms"], 1),
                "pages_p99_ms_idle": round(results["embedded"]["pages_p99_idle_ms"], 1),
                "xaccel_app_peak_rss_mb": round(results["xaccel"]["peak_rss_mb"]),
                "xaccel_pages_p99_ms_during": round(results["xaccel"]["pages_p99_ms"], 1),
                "load_average": round(os.getloadavg()[0], 1),
                "embedded_1_mb_s": round(results["embedded"]["one"]),
                "xaccel_1_mb_s": round(results["xaccel"]["one"]),
                "static_1_mb_s": round(results["static"]["one"]),
                # Server CPU seconds over the 8-client passes (visitors' pages included),
                # per GB sent, and ours over nginx static per GB (lower is cheaper).
                "embedded_cpu_s": round(results["embedded"]["cpu_s"], 2),
                "xaccel_cpu_s": round(results["xaccel"]["cpu_s"], 2),
                "static_cpu_s": round(results["static"]["cpu_s"], 2),
                "embedded_cpu_s_per_gb": round(results["embedded"]["cpu_s_per_gb"], 3),
                "xaccel_cpu_s_per_gb": round(results["xaccel"]["cpu_s_per_gb"], 3),
                "static_cpu_s_per_gb": round(results["static"]["cpu_s_per_gb"], 3),
                "cpu_ratio_embedded": round(
                    results["embedded"]["cpu_s_per_gb"] / results["static"]["cpu_s_per_gb"], 3
                ),
                "cpu_ratio_xaccel": round(
                    results["xaccel"]["cpu_s_per_gb"] / results["static"]["cpu_s_per_gb"], 3
                ),
                "quick": bool(args.quick),
            }
        )
    )


if __name__ == "__main__":
    main()
