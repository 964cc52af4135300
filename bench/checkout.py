"""Concurrent fans buying one limited edition through the production server.

Starts `disquaire serve --production` on a fresh PostgreSQL database (test payment
provider allowed for the run; DISQUAIRE_FILE_SERVING=x-accel as in docs/deploy.md, so
serve's default of 2 threads a process), creates a numbered edition, then lets N fans at
once — each a new browser with its own cookies and keep-alive connection, all driven by
one asyncio thread so that the load generator takes little of the CPU — add to cart,
check out and press "success" on the test provider's page until more fans have tried
than there are units. Prints paid orders per second, oversold units (must be 0) and the
CPU an order costs the server, PostgreSQL and the load generator; last line one JSON
object:

    {"bench": "checkout", "orders_per_s": ..., "oversold": 0, ...}

    python bench/checkout.py [--quick] [--fans 24] [--units 2000] [--processes N] [--threads N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from _common import (
    free_port,
    pg_database,
    production_env,
    serve_production,
    server_cpu_seconds,
    server_stop,
)

TARGET_ORDERS_PER_S = 100


def make_edition(units: int) -> tuple[str, int]:
    """Create an artist, a release and its numbered edition; return (artist slug, offer id)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from disquaire.catalog.models import Artist, Release
    from disquaire.selling.models import Offer, ShippingZone

    artist = Artist.objects.create(name="Bench Band", slug="bench-band", currency="EUR")
    release = Release.objects.create(
        artist=artist, title="Limited", slug="limited", visibility=Release.Visibility.PUBLISHED
    )
    numbered = os.environ.get("BENCH_UNNUMBERED") != "1"
    offer = Offer.objects.create(
        artist=artist,
        release=release,
        kind=Offer.Kind.BUNDLE,
        title="Numbered vinyl + download",
        price_minor=2500,
    )
    if os.environ.get("BENCH_OFFER_STOCK") == "1":
        # The offer's own stock, as before stock items (for comparison).
        offer.stock, offer.numbered = units, numbered
        offer.save(update_fields=["stock", "numbered"])
    else:
        # The vinyl is a stock item received at home (where the web shop ships from):
        # every paid order writes its sold_online row to the ledger.
        from disquaire.selling.models import OfferItem
        from disquaire.stock.models import Item, Reason
        from disquaire.stock.services import movement_record, place_default

        item = Item.objects.create(artist=artist, name="Vinyl (numbered)", numbered=numbered)
        movement_record(
            item=item, quantity=units, reason=Reason.RECEIVED, to_place=place_default(artist=artist)
        )
        OfferItem.objects.create(offer=offer, item=item, quantity=1)
    ShippingZone.objects.create(
        artist=artist, name="Europe", countries=["FR", "BE"], first_item_minor=600
    )
    # The test payment is offered only in the band's test mode.
    from disquaire.payments.models import PaymentSettings

    PaymentSettings.objects.create(artist=artist, test_mode=True)
    return artist.slug, offer.pk


class Fan:
    """One browser: its cookies and one keep-alive connection (asyncio streams: the
    load generator runs every fan in one thread, so that it takes little of the CPU it
    measures)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.csrf = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret
        self.cookies: dict[str, str] = {"csrftoken": self.csrf}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def _exchange(self, request: bytes) -> tuple[int, list[tuple[str, str]]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = [
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        ]
        fields = dict(headers)
        if fields.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            await self.reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, headers

    async def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urlencode({**data, "csrfmiddlewaretoken": self.csrf}).encode()
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nCookie: {cookie}\r\n\r\n"
        ).encode() + body
        for attempt in range(3):
            try:
                status, headers = await self._exchange(request)
                break
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                await self.close()
                if attempt == 2:
                    raise
        location = ""
        for header, value in headers:
            if header == "set-cookie":
                match = re.match(r"\s*([^=;]+)=([^;]*)", value)
                if match:
                    self.cookies[match.group(1)] = match.group(2)
            elif header == "location":
                location = value
        return status, location

    async def buy(self, artist: str, offer_id: int) -> str:
        # "next" is where the shop sends a refused add (sold out) back to.
        status, location = await self.post(
            "/cart/add/", {"offer": str(offer_id), "next": "/?refused"}
        )
        if status != 302:
            return f"cart {status}"
        if "refused" in location:
            return "sold out"
        status, location = await self.post(
            f"/checkout/{artist}/",
            {
                "email": "fan@example.org",
                "provider": "test",
                "name": "A Fan",
                "address": "1 rue de la Gare",
                "postcode": "75001",
                "city": "Paris",
                "country": "FR",
                # What the checkout page shows for France: 25.00 + 6.00 shipping.
                "total_shown": "3100",
            },
        )
        if status == 400:
            return "sold out"
        if status != 302 or "/payments/test/" not in location:
            return f"checkout {status}"
        status, location = await self.post(urlsplit(location).path, {"outcome": "success"})
        return "paid" if status == 302 and "/orders/" in location else f"pay {status}"


async def fans_buy(port: int, artist: str, offer_id: int, fans: int, attempts: int) -> list[str]:
    """``fans`` buyers at once, each a new browser per attempt, until ``attempts``."""
    todo = iter(range(attempts))
    outcomes: list[str] = []

    async def fan_loop() -> None:
        for _ in todo:
            fan = Fan(port)
            try:
                outcomes.append(await fan.buy(artist, offer_id))
            except Exception as exc:
                outcomes.append(f"error {type(exc).__name__}")
            finally:
                await fan.close()

    await asyncio.gather(*(fan_loop() for _ in range(fans)))
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run (well under a minute)")
    parser.add_argument("--fans", type=int, default=0, help="concurrent buyers")
    parser.add_argument("--units", type=int, default=0, help="size of the edition")
    parser.add_argument("--processes", type=int, default=0, help="web processes (serve's default)")
    parser.add_argument("--threads", type=int, default=0, help="threads per web process")
    args = parser.parse_args()
    fans = args.fans or (16 if args.quick else 24)
    units = args.units or (400 if args.quick else 2000)
    attempts = units + units // 5  # more fans try than there are units

    db_name = f"disquaire_bench_{os.getpid()}"
    data_dir = Path(tempfile.mkdtemp(prefix="dq-bench-checkout-"))
    env = {
        **production_env(db_name, data_dir),
        "DISQUAIRE_PAYMENT_PROVIDERS": "test",
        # Every fan comes from this one address with the same email: lift the
        # per-address checkout limits (30 an hour), as the lab does, or they answer 429.
        "DISQUAIRE_CHECKOUT_PER_IP": "1000000",
        "DISQUAIRE_CHECKOUT_PER_EMAIL": "1000000",
        "DISQUAIRE_TEST_PAYMENTS_IN_PRODUCTION": "1",
    }
    os.environ.update(env)
    pg_database("create", db_name)
    server: subprocess.Popen[bytes] | None = None
    try:
        artist, offer_id = make_edition(units)
        port = free_port()
        options = ["--processes", str(args.processes)] if args.processes else []
        options += ["--threads", str(args.threads)] if args.threads else []
        server = serve_production(port, env, "/cart/", options)

        cpu_before = server_cpu_seconds(server.pid)
        started = time.perf_counter()
        outcomes = asyncio.run(fans_buy(port, artist, offer_id, fans, attempts))
        elapsed = time.perf_counter() - started
        cpu_after = server_cpu_seconds(server.pid)

        from django.db.models import Count, Sum

        from disquaire.orders.models import EditionUnit, Order, OrderState, Reservation

        paid = Order.objects.filter(state=OrderState.PAID).count()
        sold = (
            Reservation.objects.filter(state=Reservation.State.CONSUMED).aggregate(
                n=Sum("quantity")
            )["n"]
            or 0
        )
        duplicates = (
            EditionUnit.objects.values("number").annotate(n=Count("pk")).filter(n__gt=1).count()
        )
        oversold = max(0, sold - units) + duplicates
        from disquaire.stock.models import Balance, Movement
        from disquaire.stock.selectors import balance_drift

        ledger_sold = (
            Movement.objects.filter(reason="sold_online").aggregate(n=Sum("quantity"))["n"] or 0
        )
        drift = len(balance_drift())
        below_zero = Balance.objects.filter(quantity__lt=0).count()
        oversold += below_zero
        counts: dict[str, int] = {}
        for outcome in outcomes:
            counts[outcome] = counts.get(outcome, 0) + 1
        rate = paid / elapsed if elapsed else 0.0
        # CPU milliseconds an order costs each part: steadier than orders/s on a shared
        # machine, and what bounds orders/s (cores x 1000 / their sum).
        cpu_ms = {
            part: round((cpu_after[part] - cpu_before[part]) * 1000 / max(paid, 1), 2)
            for part in cpu_after
        }
        cpu_total = sum(cpu_ms.values())
        ceiling = (os.cpu_count() or 1) * 1000 / cpu_total if cpu_total else 0.0
        print(f"fans at once: {fans}, edition: {units} units, attempts: {attempts}")
        print(f"outcomes: {counts}")
        print(f"paid orders: {paid} in {elapsed:.2f} s = {rate:.1f} orders/s")
        print(f"target: {TARGET_ORDERS_PER_S} orders/s on {os.cpu_count()} cores")
        print(f"units sold: {sold} of {units}; oversold: {oversold}")
        print(f"ledger: {ledger_sold} units sold_online, balance drift: {drift}")
        print(
            "CPU per paid order: "
            + ", ".join(f"{part} {ms:.1f} ms" for part, ms in cpu_ms.items())
            + f" = {cpu_total:.1f} ms; all cores busy would give {ceiling:.0f} orders/s"
        )
        print(
            json.dumps(
                {
                    "bench": "checkout",
                    "orders_per_s": round(rate, 1),
                    "oversold": oversold,
                    "paid": paid,
                    "units": units,
                    "fans": fans,
                    "ledger_sold_online": ledger_sold,
                    "balance_drift": drift,
                    "seconds": round(elapsed, 2),
                    "target_orders_per_s": TARGET_ORDERS_PER_S,
                    "cores": os.cpu_count(),
                    "cpu_ms_per_order": cpu_ms,
                    "cpu_s": {
                        part: round(cpu_after[part] - cpu_before[part], 2) for part in cpu_after
                    },
                    "orders_per_s_if_cpu_bound": round(ceiling, 1),
                }
            )
        )
        if oversold:
            raise SystemExit(1)
    finally:
        server_stop(server, db_name)


if __name__ == "__main__":
    main()
