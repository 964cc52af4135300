"""Phones back from a basement: merch-table sales queued offline, synced all at once.

Starts `disquaire serve --production` on a fresh PostgreSQL database, opens a show with
a bag well stocked, joins N phones as sellers (each with the short code, as a friend
would), lets each phone queue S sales offline (made here as the app makes them: UUIDv7,
the phone's id and sequence number, its clock), then releases every phone at once (a
barrier) to send its queue in batches of 200, as the app does; every other phone sends
its first batch twice, at the same time (a retry after a timeout). Then counts what the
server holds: each sale once (duplicates 0), none missing (lost 0), one ledger row per
sale, the bag down by exactly what was sold. Prints the CPU seconds the web server,
PostgreSQL and this load generator spent; last line one JSON object:

    {"bench": "table", "sales": 2000, "sync_s": ..., "duplicates": 0, "lost": 0, ...}

    python bench/table.py [--quick] [--devices 8] [--sales 250]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

from _common import (
    free_port,
    pg_database,
    production_env,
    serve_production,
    server_cpu_seconds,
    server_stop,
)

TARGET_SYNC_S = 10.0
BATCH = 200  # what the app sends at a time (table/app.js)
STOCK = 100_000


def uuid7() -> str:
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62 | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def make_table(devices: int) -> dict:
    """A band, its bag with two items, products at table prices, an open show, one
    invited seller per phone; returns what the phones need."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from disquaire.catalog.models import Artist
    from disquaire.stock.models import Item, Place, Reason
    from disquaire.stock.services import movement_record
    from disquaire.table import services

    artist = Artist.objects.create(name="Bench Band", slug="bench-band", currency="EUR")
    bag = Place.objects.create(artist=artist, name="Van", kind=Place.Kind.BAG, is_default=True)
    products = []
    for name, price, category in (("CD", 1500, "music"), ("T-shirt", 2000, "apparel")):
        item = Item.objects.create(artist=artist, name=name)
        movement_record(item=item, quantity=STOCK, reason=Reason.RECEIVED, to_place=bag)
        product = services.product_save(
            artist=artist, name=name, price=price, category=category, components=[(item, 1)]
        )
        products.append({"id": product.pk, "name": name, "price": price, "item": item.pk})
    show = services.show_open(artist=artist, date=date.today(), venue="Le Sous-Sol")
    codes = [services.seller_invite(artist=artist, name=f"Phone {i}").code for i in range(devices)]
    return {"slug": artist.slug, "show": show.pk, "products": products, "codes": codes,
            "bag": bag.pk}  # fmt: skip


class Phone:
    """One phone: its cookies, its id, its queue of sales made offline."""

    def __init__(self, port: int, slug: str) -> None:
        self.port = port
        self.slug = slug
        self.csrf = secrets.token_hex(16)
        self.cookies = {"csrftoken": self.csrf}
        self.device = str(uuid.uuid4())
        self.queue: list[dict] = []
        self.answers: list[dict] = []
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def _request(self, method: str, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body, headers={
            "Host": f"127.0.0.1:{self.port}", "Cookie": cookie, **headers})  # fmt: skip
        response = self.conn.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                match = re.match(r"([^=]+)=([^;]*)", value)
                if match:
                    self.cookies[match.group(1)] = match.group(2)
        return response.status, data

    def join(self, code: str) -> None:
        body = urlencode({"code": code, "csrfmiddlewaretoken": self.csrf}).encode()
        status, _ = self._request("POST", "/table/join/", body, {
            "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        if status != 302:
            raise SystemExit(f"joining answered {status}")

    def sell_offline(self, table: dict, count: int, rng: random.Random) -> None:
        for seq in range(1, count + 1):
            product = rng.choice(table["products"])
            quantity = rng.choice((1, 1, 1, 2))
            payment = rng.choice(("cash", "cash", "card", "free"))
            self.queue.append({
                "id": uuid7(), "device_id": self.device, "device_seq": seq,
                "device_time": datetime.now(UTC).isoformat(), "show": table["show"],
                "payment": payment,
                "total": 0 if payment == "free" else product["price"] * quantity,
                "tendered": None, "reference": "",
                "lines": [{"product": product["id"], "name": product["name"],
                           "quantity": quantity, "unit_price": product["price"]}],
            })  # fmt: skip

    def send(self, batch: list[dict]) -> list[dict]:
        status, data = self._request(
            "POST", f"/table/{self.slug}/sync", json.dumps({"sales": batch}).encode(),
            {"Content-Type": "application/json", "X-CSRFToken": self.csrf},
        )  # fmt: skip
        if status != 200:
            raise RuntimeError(f"sync answered {status}: {data[:200]!r}")
        return json.loads(data)["results"]


def sync_all(phones: list[Phone]) -> list[BaseException]:
    """Every phone at once; every other one sends its first batch twice, concurrently."""
    jobs: list[tuple[Phone, list[list[dict]]]] = []
    for i, phone in enumerate(phones):
        batches = [phone.queue[k : k + BATCH] for k in range(0, len(phone.queue), BATCH)]
        jobs.append((phone, batches))
        if i % 2 == 0:
            retry = Phone(phone.port, phone.slug)
            retry.cookies, retry.csrf = dict(phone.cookies), phone.csrf
            jobs.append((retry, batches[:1]))
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(phone: Phone, batches: list[list[dict]]) -> None:
        try:
            barrier.wait()
            for batch in batches:
                phone.answers += phone.send(batch)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run (well under a minute)")
    parser.add_argument("--devices", type=int, default=8, help="phones syncing at once")
    parser.add_argument("--sales", type=int, default=0, help="sales queued on each phone")
    args = parser.parse_args()
    per_phone = args.sales or (40 if args.quick else 250)
    devices = args.devices

    db_name = f"disquaire_bench_table_{os.getpid()}"
    data_dir = Path(tempfile.mkdtemp(prefix="dq-bench-table-"))
    env = production_env(db_name, data_dir)
    os.environ.update(env)
    pg_database("create", db_name)
    server: subprocess.Popen[bytes] | None = None
    try:
        table = make_table(devices)
        port = free_port()
        server = serve_production(port, env, "/table/join/")

        rng = random.Random(1)
        phones = [Phone(port, table["slug"]) for _ in range(devices)]
        for phone, code in zip(phones, table["codes"], strict=True):
            phone.join(code)
            phone.sell_offline(table, per_phone, rng)
        sent = {sale["id"]: sale for phone in phones for sale in phone.queue}

        cpu_before = server_cpu_seconds(server.pid)
        started = time.perf_counter()
        errors = sync_all(phones)
        elapsed = time.perf_counter() - started
        cpu_after = server_cpu_seconds(server.pid)

        from django.db.models import Count, Sum

        from disquaire.stock.models import Balance, Movement, Reason
        from disquaire.table.models import Sale, SaleLine

        held = {str(pk) for pk in Sale.objects.values_list("id", flat=True)}
        rows = Movement.objects.filter(reason=Reason.SOLD_TABLE)
        # One ledger row per sale (each has one line of one item): a second is a double.
        doubled = rows.values("reference_id").annotate(n=Count("pk")).filter(n__gt=1).count()
        duplicates = doubled + max(0, Sale.objects.count() - len(held))
        lost = len(set(sent) - held)
        flagged = Sale.objects.exclude(status=Sale.Status.ACCEPTED).count()
        units_sold = SaleLine.objects.aggregate(n=Sum("quantity"))["n"] or 0
        left = Balance.objects.filter(place_id=table["bag"]).aggregate(n=Sum("quantity"))["n"]
        bag_ok = left == 2 * STOCK - units_sold
        statuses: dict[str, int] = {}
        for phone in phones:
            for answer in phone.answers:
                statuses[answer["status"]] = statuses.get(answer["status"], 0) + 1
        cpu_s = {part: round(cpu_after[part] - cpu_before[part], 2) for part in cpu_after}
        print(f"phones: {devices}, sales queued on each: {per_phone}, batch: {BATCH}")
        print(f"answers: {statuses}; errors: {len(errors)} {errors[:1]}")
        print(f"synced {len(sent)} sales in {elapsed:.2f} s (target {TARGET_SYNC_S:.0f} s)")
        print(f"held once: {len(held & set(sent))}; duplicates: {duplicates}; lost: {lost}")
        print(f"flagged: {flagged}; bag down by exactly the units sold: {bag_ok}")
        print("CPU seconds: " + ", ".join(f"{part} {s:.2f}" for part, s in cpu_s.items()))
        print(
            json.dumps(
                {
                    "bench": "table",
                    "sales": len(sent),
                    "devices": devices,
                    "sync_s": round(elapsed, 2),
                    "duplicates": duplicates,
                    "lost": lost,
                    "flagged": flagged,
                    "bag_ok": bag_ok,
                    "errors": len(errors),
                    "target_sync_s": TARGET_SYNC_S,
                    "sales_per_s": round(len(sent) / elapsed, 1) if elapsed else 0.0,
                    "cpu_s": cpu_s,
                    "cpu_ms_per_sale": {
                        part: round(s * 1000 / max(len(sent), 1), 2) for part, s in cpu_s.items()
                    },
                    "cores": os.cpu_count(),
                }
            )
        )
        if duplicates or lost or errors or not bag_ok:
            raise SystemExit(1)
    finally:
        server_stop(server, db_name)


if __name__ == "__main__":
    main()
