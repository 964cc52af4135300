"""The release-day run's traffic, from the lab's `fan` host (run by bench/cluster.py)."""

from __future__ import annotations

import asyncio
import io
import json
import random
import re
import secrets
import sys
import time
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
REQUEST_TIMEOUT = 30.0
PAGE_FLOWS = ("page_cached", "page_app", "page_signed_in")
FLOWS = (*PAGE_FLOWS, "play", "buy")
# Visitors of one flow still waiting for an answer beyond which new arrivals are shed
# (counted): an overloaded lab shows as shed arrivals, not as a driver out of memory.
MAX_IN_FLIGHT = 400


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
        self.lag: list[float] = []
        self.in_flight: dict[str, int] = dict.fromkeys(FLOWS, 0)
        self.shed: dict[str, int] = dict.fromkeys(FLOWS, 0)
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

    async def page(self, browser: Browser, rng: random.Random, kind: str) -> None:
        release = rng.choice(self.spec["releases"])
        path = rng.choice(["/", f"/{self.spec['artist']}/", release["path"]])
        if kind == "page_cached":
            await self.call(browser, kind, "GET", path, cookies=False)
        elif kind == "page_app":
            # A link with a campaign tag: a page nginx has not cached, which an app host
            # answers (from the page cache they share in Redis), remembering the tag.
            tagged = f"{path}?ref=share{rng.randrange(10**9)}"
            await self.call(browser, kind, "GET", tagged, cookies=False)
        else:
            # A signed-in visitor: nginx's cache is bypassed, the app answers.
            headers = {"Cookie": "sessionid=visitor"}
            await self.call(browser, kind, "GET", path, headers=headers, cookies=False)

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

    async def arrival(self, flow: str, rng: random.Random, due: float) -> None:
        """One visitor arriving at ``due``: a page, a play, or a purchase."""
        self.lag.append(time.time() - due)
        browser = Browser(self.lb)
        self.in_flight[flow] += 1
        try:
            if flow in PAGE_FLOWS:
                await self.page(browser, rng, flow)
            elif flow == "play":
                await self.listener(browser, rng)
            else:
                await self.buyer(browser, rng)
        except Exception as exc:  # a driver bug must show, not stop the other arrivals
            self.record(flow, 0, due, f"driver error: {exc!r}"[:200])
        finally:
            self.in_flight[flow] -= 1
            await browser.close()

    async def arrivals(self, flow: str, rate: float, deadline: float, seed: int) -> None:
        """Visitors of one flow arriving on a schedule (a Poisson process of ``rate`` a
        second), whether or not the earlier ones have been answered: an open loop. An
        arrival finding MAX_IN_FLIGHT of its flow still waiting is counted as shed."""
        rng = random.Random(seed)
        due = self.started
        tasks: set[asyncio.Task[None]] = set()
        while True:
            due += rng.expovariate(rate)
            if due >= deadline:
                break
            await asyncio.sleep(max(0.0, due - time.time()))
            if self.in_flight[flow] >= MAX_IN_FLIGHT:
                self.shed[flow] += 1
                continue
            task = asyncio.create_task(self.arrival(flow, random.Random(rng.random()), due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT * 4)

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
        # The orchestrator times the faults from here (bench/cluster.py, faults_run).
        Path(self.spec["started_file"]).write_text(str(self.started))
        deadline = self.started + self.spec["seconds"]
        rates = self.spec["rates"]
        await asyncio.gather(
            *(
                self.arrivals(flow, rate, deadline, seed=n)
                for n, (flow, rate) in enumerate(sorted(rates.items()))
                if rate > 0
            )
        )


def stripe_fake_start(spec: dict[str, Any]) -> Any:
    """The Stripe fake of the test suite, serving the app hosts from the fan host (the
    lab's DISQUAIRE_STRIPE_API_BASE points here)."""
    import threading
    from http.server import ThreadingHTTPServer

    sys.path.insert(0, str(ROOT))
    from tests.payments.fake_stripe import FakeStripe

    fake = FakeStripe(webhook_secret=spec["stripe_webhook_secret"])
    fake.keys.add(spec["stripe_secret_key"])  # the lab's DISQUAIRE_STRIPE_SECRET_KEY
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
                "shed": driver.shed,
                "lag": driver.lag,
                "cpu_s": time.process_time(),
            }
        )
    )
