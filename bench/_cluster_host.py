"""The release-day run's work on a Disquaire host of the lab: set-up, a release published
mid-run, and the checks afterwards (run by bench/cluster.py through `lab.sh env-exec`)."""

from __future__ import annotations

import io
import os
import shutil
import time
from collections import defaultdict
from pathlib import Path
from typing import Any


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
    from disquaire.stock.models import Balance
    from disquaire.stock.selectors import place_shipping_id

    providers = settings.PAYMENT_PROVIDERS
    pending = work_wait(data["wait_seconds"])
    artist = Artist.objects.order_by("pk").first()
    assert artist is not None, "the demo band is missing"
    album = Release.objects.filter(artist=artist).order_by("pk").first()
    assert album is not None
    # The numbered edition: the offer using the demo's numbered vinyl, as many units for
    # sale as the web shop's shelf holds (the shipping place's balance).
    limited = (
        Offer.objects.filter(artist=artist, item_uses__item__numbered=True).order_by("pk").first()
    )
    shelf = place_shipping_id(artist_id=artist.pk)
    limited_stock = None
    if limited is not None and shelf is not None:
        limited_stock = (
            Balance.objects.filter(
                place_id=shelf, item__offer_uses__offer=limited, item__numbered=True
            )
            .values_list("quantity", flat=True)
            .first()
        )
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
        "limited_stock": limited_stock,
        "digital_offer": digital.pk,
        "stripe_api": settings.DISQUAIRE_STRIPE_API_BASE if "stripe" in providers else "",
        "stripe_webhook_secret": settings.DISQUAIRE_STRIPE_WEBHOOK_SECRET,
        "stripe_secret_key": settings.DISQUAIRE_STRIPE_SECRET_KEY,
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
    from django.core.management import CommandError, call_command
    from django.db.models import Count, Q, Sum

    from disquaire.catalog.models import ProcessingStatus, Rendition, Track
    from disquaire.delivery.models import Entitlement, EntitlementSource, ReleaseZip
    from disquaire.orders.items import needs, uses_of
    from disquaire.orders.models import (
        EditionUnit,
        Order,
        OrderState,
        Payment,
        PaymentState,
        Reservation,
    )
    from disquaire.selling.models import Offer
    from disquaire.stock.models import Balance, Movement
    from disquaire.stock.selectors import balance_drift

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
    # The numbered edition: no more sold than the shelf held when the run began, no
    # balance below zero.
    if data.get("limited_offer") and data.get("limited_stock") is not None:
        sold = (
            Reservation.objects.filter(
                offer_id=data["limited_offer"], state=Reservation.State.CONSUMED
            ).aggregate(n=Sum("quantity"))["n"]
            or 0
        )
        if sold > data["limited_stock"]:
            problems.append(f"numbered edition: {sold} sold of {data['limited_stock']}")
        oversold += max(0, sold - data["limited_stock"])
    for balance in Balance.objects.filter(quantity__lt=0):
        oversold += -balance.quantity
        problems.append(f"balance below zero: {balance}")
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
    # The ledger: each paid order's units left the shipping place once (one sold_online
    # row an item, its quantity what the order's reservations need); no other order
    # took any; and every kept balance is the sum of its ledger (`disquaire stock-check`).
    ledger_wrong = 0
    sold = defaultdict(list)
    for ref, item_id, quantity in Movement.objects.filter(
        reason=Movement.Reason.SOLD_ONLINE, reference_type="order"
    ).values_list("reference_id", "item_id", "quantity"):
        sold[ref].append((item_id, quantity))
    paid_codes = set()
    for order in Order.objects.filter(state__in=paid_states):
        paid_codes.add(order.code)
        held = Reservation.objects.filter(line__order=order, state=Reservation.State.CONSUMED)
        wanted = [(r.offer_id, r.option_id, r.quantity) for r in held]
        need = needs(wanted, uses_of(w[0] for w in wanted)) if wanted else {}
        rows = sold.get(order.code, [])
        if sorted(rows) != sorted(need.items()):
            ledger_wrong += 1
            problems.append(f"order {order.code}: ledger {rows}, expected {sorted(need.items())}")
    for code in set(sold) - paid_codes:
        ledger_wrong += 1
        problems.append(f"order {code}: not paid, yet sold_online rows {sold[code]}")
    out = io.StringIO()
    try:
        call_command("stock-check", stdout=out)
        stock_drift = 0
    except CommandError:
        stock_drift = len(balance_drift())
    problems += [line for line in out.getvalue().splitlines() if line.startswith("drift")]
    return {
        "ledger_wrong": ledger_wrong,
        "stock_drift": stock_drift,
        "sold_online_orders": len(sold),
        "lost_orders": lost,
        "double_fulfilled": double_fulfilled,
        "oversold": oversold,
        "lost_tasks": lost_tasks,
        "confirmed_payments": confirmed.count(),
        "pending_after_wait": pending,
        "problems": problems,
    }
