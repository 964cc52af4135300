"""Public pages benchmark: a release page from the app, through nginx's cache, and static.

In one run on this machine: creates the demo band in a temporary data dir (SQLite),
starts `disquaire serve --production --no-worker`, fetches a release page once, then
loads with wrk (after a warm-up) three ways:

- **app**: the app server alone (its in-process page cache answers);
- **cached**: nginx in front with deploy/nginx/disquaire.conf — the very file the
  operators install (docs/deploy.md), with its paths and ports changed, its TLS lines
  (marked "# tls") dropped, and its cache folder on tmpfs (/dev/shm) as the docs advise;
- **static**: nginx sending the same HTML bytes as a file (the limit).

Prints req/s, p50 and p99 of each, and last one JSON line. Needs nginx and wrk (as root,
installs Debian's `nginx-light` and `wrk` when missing).

    python bench/pages.py [--quick] [--connections 64] [--processes N] [--threads N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from _common import free_port

ROOT = Path(__file__).resolve().parent.parent
NGINX_SITE = ROOT / "deploy" / "nginx" / "disquaire.conf"
NGINX_PROXY_PARAMS = ROOT / "deploy" / "nginx" / "disquaire_proxy_params"
RELEASE_LINK = re.compile(r'href="(/(?!i18n/|static/|tags/)[^/"?]+/[^/"?]+/)"')


def tools_ensure() -> None:
    missing = [tool for tool in ("nginx", "wrk") if not _which(tool)]
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(
            f"bench/pages.py needs {' and '.join(missing)}: "
            "apt-get install nginx-light wrk (as root), then run again"
        )
    print(f"installing {' '.join(missing)}: apt-get install -y nginx-light wrk", flush=True)
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # A fresh machine may have no package lists yet.
    subprocess.run(["apt-get", "update"], check=True, stdout=subprocess.DEVNULL, env=apt_env)
    subprocess.run(
        ["apt-get", "install", "-y", "nginx-light", "wrk"],
        check=True,
        stdout=subprocess.DEVNULL,
        env=apt_env,
    )


def _which(tool: str) -> str | None:
    # nginx lives in /usr/sbin, which a non-login shell may not have on its PATH.
    return shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def wait_for(url: str, *, proc: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args!r} exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            if fetch(url)[0] == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer 200 within {seconds:.0f} s")


class Processes:
    """Every process the benchmark starts, each in its own session, ended on exit."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            proc = subprocess.Popen(
                args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.running.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.running):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.running):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.running.clear()


@contextlib.contextmanager
def processes() -> Iterator[Processes]:
    group = Processes()
    # Ctrl-C and a plain `kill` both unwind through the finally below.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        yield group
    finally:
        group.stop_all()
        signal.signal(signal.SIGTERM, previous)


def app_env(data: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DISQUAIRE_DATA_DIR": str(data),
        "DISQUAIRE_PRODUCTION": "1",
        "DISQUAIRE_SSL_REDIRECT": "0",
        "DISQUAIRE_SECURE_COOKIES": "0",
        "DISQUAIRE_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DISQUAIRE_SITE_URL": "http://127.0.0.1",
    }
    for name in ("DATABASE_URL", "DISQUAIRE_CACHE_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    return env


def demo_create(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "disquaire", "demo", "--no-serve", "--track-seconds", "2"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def nginx_config(
    *, base: Path, data: Path, cache: Path, app_port: int, site_port: int, static_port: int
) -> Path:
    """nginx.conf for the run: the operators' site file, plus a static server (the limit)."""
    site = NGINX_SITE.read_text()
    site = "\n".join(line for line in site.splitlines() if not line.rstrip().endswith("# tls"))
    for old, new in (
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{site_port};"),
        ("127.0.0.1:8000", f"127.0.0.1:{app_port}"),
        ("/var/cache/nginx/disquaire", str(cache)),
        ("/var/lib/disquaire", str(data)),
        ("/etc/nginx/disquaire_proxy_params", str(NGINX_PROXY_PARAMS)),
    ):
        if old not in site:
            raise SystemExit(f"{NGINX_SITE} no longer contains {old!r}: update bench/pages.py")
        site = site.replace(old, new)
    (base / "site.conf").write_text(site + "\n")
    temp = base / "temp"
    temp.mkdir()
    conf = base / "nginx.conf"
    conf.write_text(
        f"""daemon off;
worker_processes 2;
pid {base / "nginx.pid"};
error_log {base / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {base / "site.conf"};
    server {{
        listen 127.0.0.1:{static_port};
        root {base / "static"};
        index index.html;
    }}
}}
"""
    )
    return conf


WRK_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
WRK_COUNT = re.compile(r"^\s*(\d+) requests in ", re.M)
WRK_PCT = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, *, seconds: int, connections: int) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    rps = WRK_RPS.search(done.stdout)
    count = WRK_COUNT.search(done.stdout)
    pct = {p: float(v) * UNIT_MS[u] for p, v, u in WRK_PCT.findall(done.stdout)}
    if rps is None or count is None or set(pct) != {"50", "99"}:
        raise SystemExit(f"could not read wrk's output:\n{done.stdout}{done.stderr}")
    if "Non-2xx" in done.stdout or "Socket errors" in done.stdout:
        print(done.stdout.strip(), file=sys.stderr)
    return {
        "rps": float(rps.group(1)),
        "requests": float(count.group(1)),
        "p50_ms": pct["50"],
        "p99_ms": pct["99"],
    }


def measure(url: str, *, seconds: int, connections: int, servers: list[int]) -> dict[str, float]:
    """wrk's figures for ``url``, plus the CPU seconds the ``servers`` (process trees)
    used during the run, and that CPU per thousand requests."""
    from _common import tree_cpu_seconds

    wrk(url, seconds=2, connections=connections)  # warm-up: caches filled, connections open
    before = tree_cpu_seconds(*servers)
    result = wrk(url, seconds=seconds, connections=connections)
    result["cpu_s"] = tree_cpu_seconds(*servers) - before
    # Per request wrk counted (not rps × the nominal length of the run).
    result["cpu_ms_per_1k"] = result["cpu_s"] * 1e6 / max(1.0, result["requests"])
    return result


def median_run(results: list[dict[str, float]]) -> dict[str, float]:
    """The median of each figure over the rounds."""
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3-second runs")
    parser.add_argument("--seconds", type=int, default=0, help="length of each run")
    parser.add_argument("--rounds", type=int, default=0, help="default: 3, or 1 when quick")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--processes", type=int, default=0, help="passed to disquaire serve")
    parser.add_argument("--threads", type=int, default=0, help="passed to disquaire serve")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    seconds = args.seconds or (3 if args.quick else 10)
    args.rounds = args.rounds or (1 if args.quick else 3)
    tools_ensure()

    base = Path(tempfile.mkdtemp(prefix="dq-bench-pages-"))
    base.chmod(0o755)  # nginx workers run as another user when started by root
    data = base / "data"
    # The page cache on tmpfs, as docs/deploy.md has it; nginx creates the folder.
    shm = Path("/dev/shm")
    cache = (shm if shm.is_dir() else base) / f"{base.name}-cache"
    env = app_env(data)
    try:
        with processes() as group:
            print("creating the demo band (SQLite) ...", flush=True)
            demo_create(env)
            app_port, site_port, static_port = free_port(), free_port(), free_port()
            serve = [sys.executable, "-m", "disquaire", "serve", "--production", "--no-worker"]
            serve += ["--port", str(app_port)]
            if args.processes:
                serve += ["--processes", str(args.processes)]
            if args.threads:
                serve += ["--threads", str(args.threads)]
            app = group.start(serve, env=env, log=base / "serve.log")
            app_root = f"http://127.0.0.1:{app_port}"
            wait_for(f"{app_root}/", proc=app)

            found = RELEASE_LINK.search(fetch(f"{app_root}/")[2].decode())
            if found is None:
                raise SystemExit("no release link on the home page")
            path = found.group(1)
            status, headers, html = fetch(app_root + path)
            if status != 200 or "Content-Length" not in headers:
                raise SystemExit(f"{path}: {status}, headers {headers}")
            page = base / "static" / path.strip("/") / "index.html"
            page.parent.mkdir(parents=True)
            page.write_bytes(html)

            conf = nginx_config(
                base=base,
                data=data,
                cache=cache,
                app_port=app_port,
                site_port=site_port,
                static_port=static_port,
            )
            nginx = group.start(
                [_which("nginx") or "nginx", "-c", str(conf), "-p", str(base)],
                env=env,
                log=base / "nginx.out",
            )
            wait_for(f"http://127.0.0.1:{static_port}{path}", proc=nginx)
            cached_url = f"http://127.0.0.1:{site_port}{path}"
            wait_for(cached_url, proc=nginx)
            cache_status = fetch(cached_url)[1].get("X-Cache-Status")
            if cache_status != "HIT":
                raise SystemExit(f"nginx did not cache {path} (X-Cache-Status: {cache_status})")
            if fetch(f"http://127.0.0.1:{static_port}{path}")[2] != html:
                raise SystemExit("the static copy differs from the page")

            print(
                f"page {path}: {len(html):,} bytes; wrk -t2 -c{args.connections} -d{seconds}s",
                flush=True,
            )
            # Rounds interleave the three paths, and each figure is the median of its
            # rounds: other work on the machine then weighs on all three alike.
            urls = {
                "app": app_root + path,
                "cached": cached_url,
                "static": f"http://127.0.0.1:{static_port}{path}",
            }
            # Whose CPU each way costs: the app, nginx and the app behind it, nginx.
            servers = {"app": [app.pid], "cached": [nginx.pid, app.pid], "static": [nginx.pid]}
            rounds: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
            for number in range(1, args.rounds + 1):
                for name, url in urls.items():
                    r = measure(
                        url, seconds=seconds, connections=args.connections, servers=servers[name]
                    )
                    rounds[name].append(r)
                    print(
                        f"round {number} {name:>6}: {r['rps']:>9,.0f} req/s  "
                        f"p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms  "
                        f"server CPU {r['cpu_s']:5.2f} s ({r['cpu_ms_per_1k']:.1f} ms a 1,000)",
                        flush=True,
                    )
            runs = {name: median_run(results) for name, results in rounds.items()}
            for name, r in runs.items():
                print(
                    f"{name:>7}: {r['rps']:>9,.0f} req/s  p50 {r['p50_ms']:6.2f} ms  "
                    f"p99 {r['p99_ms']:6.2f} ms  server CPU {r['cpu_ms_per_1k']:.1f} ms "
                    f"a 1,000 requests (median of {args.rounds})",
                    flush=True,
                )
    finally:
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)

    # Ratios round by round (each against the static run next to it), then the median.
    ratio = {
        name: statistics.median(
            r["rps"] / s["rps"] for r, s in zip(rounds[name], rounds["static"], strict=True)
        )
        for name in ("app", "cached")
    }
    print(
        json.dumps(
            {
                "bench": "pages",
                "app_rps": round(runs["app"]["rps"]),
                "cached_rps": round(runs["cached"]["rps"]),
                "static_rps": round(runs["static"]["rps"]),
                "ratio_cached": round(ratio["cached"], 3),
                "ratio_app": round(ratio["app"], 3),
                "app_p50_ms": round(runs["app"]["p50_ms"], 2),
                "app_p99_ms": round(runs["app"]["p99_ms"], 2),
                "cached_p99_ms": round(runs["cached"]["p99_ms"], 2),
                "static_p99_ms": round(runs["static"]["p99_ms"], 2),
                # Server CPU seconds of each way's run (median), a thousand requests' share,
                # and ours over the static file's per request (lower is cheaper).
                "app_cpu_s": round(runs["app"]["cpu_s"], 2),
                "cached_cpu_s": round(runs["cached"]["cpu_s"], 2),
                "static_cpu_s": round(runs["static"]["cpu_s"], 2),
                "app_cpu_ms_per_1k": round(runs["app"]["cpu_ms_per_1k"], 1),
                "cached_cpu_ms_per_1k": round(runs["cached"]["cpu_ms_per_1k"], 1),
                "static_cpu_ms_per_1k": round(runs["static"]["cpu_ms_per_1k"], 1),
                "cpu_ratio_app": round(
                    runs["app"]["cpu_ms_per_1k"] / runs["static"]["cpu_ms_per_1k"], 3
                ),
                "cpu_ratio_cached": round(
                    runs["cached"]["cpu_ms_per_1k"] / runs["static"]["cpu_ms_per_1k"], 3
                ),
                "rounds": args.rounds,
                "quick": bool(args.quick),
            }
        )
    )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted (every process started was stopped)")
