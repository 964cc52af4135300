"""`disquaire backup` and `disquaire restore`: the demo band comes back whole, on the
same engine or from SQLite onto PostgreSQL with S3, and a backup taken while orders come
in restores to a consistent state."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.test import Client

from disquaire.catalog.demo import DEMO_ARTIST, RELEASES
from disquaire.catalog.models import Artist, ProcessingStatus, Release, Rendition, Track
from disquaire.catalog.services.processing import track_process
from disquaire.core.backup import (
    MANIFEST,
    BackupError,
    backup_create,
    backup_restore,
    install_is_empty,
)
from disquaire.core.models import ActivityEntry
from disquaire.delivery.links import download_page_url
from disquaire.delivery.models import Entitlement
from disquaire.orders.models import Order, OrderState, Payment, PaymentState
from disquaire.orders.selectors import order_page_path
from disquaire.orders.services import payment_confirm, payment_create
from disquaire.selling.models import Offer
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db(transaction=True)

NONCE = re.compile(rb'nonce="[^"]*"')
DOWNLOAD_TOKEN = re.compile(rb"/downloads/[^/\"]+/")


def _page(client: Client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    body = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    return NONCE.sub(b'nonce=""', body)


def _demo_band(monkeypatch: pytest.MonkeyPatch) -> tuple[Artist, Release]:
    """The demo band with its EP encoded, and one fan's paid order of the digital EP."""
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    call_command("demo", no_serve=True, track_seconds=1, stdout=StringIO())
    artist = Artist.objects.get(name=DEMO_ARTIST)
    ep = Release.objects.get(artist=artist, title=RELEASES[1].title)
    for track in ep.tracks.all():
        track_process(track_id=track.pk)
    assert (
        not Rendition.objects.filter(track__release=ep)
        .exclude(status=ProcessingStatus.READY)
        .exists()
    )
    return artist, ep


def _buy(client: Client, offer: Offer, capture: Any) -> Order:
    client.post("/cart/add/", {"offer": offer.pk, "amount": "8.00"})
    response = client.post(
        f"/checkout/{offer.artist.slug}/", {"email": "fan@example.org", "provider": "test"}
    )
    with capture(execute=True):
        client.post(response["Location"], {"outcome": "success"})
    order = Order.objects.get(email="fan@example.org")  # the demo has orders of its own
    assert order.state == OrderState.PAID
    return order


def _site_snapshot(artist: Artist, ep: Release, order: Order) -> dict[str, bytes]:
    """The pages and files a visitor and the fan get."""
    cache.clear()
    client = Client()
    entitlement = Entitlement.objects.get(release=ep)
    downloads = download_page_url(entitlements=[entitlement], absolute=False)
    token = downloads.rstrip("/").rsplit("/", 1)[-1]
    track = ep.tracks.order_by("position").first()
    assert track is not None
    paths = {
        "artist": f"/{artist.slug}/",
        "release": f"/{artist.slug}/{ep.slug}/",
        "order": order_page_path(order),
        "downloads": downloads,
        "mp3": f"/downloads/{token}/{entitlement.pk}/{track.pk}/mp3-320/",
        "flac": f"/downloads/{token}/{entitlement.pk}/{track.pk}/flac/",
    }
    # Download links are signed with their time: the same page links other URLs later.
    return {
        key: DOWNLOAD_TOKEN.sub(b"/downloads/TOKEN/", _page(client, path))
        for key, path in paths.items()
    }


def _empty_install(settings: Any, tmp_path: Path) -> Path:
    """Another, empty install: the database flushed, a new media folder."""
    call_command("flush", interactive=False, verbosity=0)
    media = tmp_path / "new-install-media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "disquaire.core.storage.AtomicFileSystemStorage",
            "OPTIONS": {"location": str(media), "base_url": "/media/"},
        },
    }
    assert install_is_empty() == []
    return media


@pytest.mark.slow
def test_the_demo_band_round_trips_with_its_orders_entitlements_and_files(
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    artist, ep = _demo_band(monkeypatch)
    offer = Offer.objects.get(release=ep, kind=Offer.Kind.DIGITAL)
    order = _buy(Client(), offer, django_capture_on_commit_callbacks)
    before = _site_snapshot(artist, ep, order)
    counts = {
        model: model.objects.count()
        for model in (Order, Payment, Entitlement, ActivityEntry, Rendition, Track, Offer)
    }
    stored = {name: default_storage.open(name).read() for name in _stored_names()}

    out = StringIO()
    call_command("backup", str(tmp_path / "backup"), stdout=out)
    manifest = json.loads((tmp_path / "backup" / MANIFEST).read_text())
    assert manifest["engine"] == connection.vendor
    assert {entry["name"] for entry in manifest["media"]} == set(stored)
    assert all(
        entry["sha256"] == hashlib.sha256(stored[entry["name"]]).hexdigest()
        for entry in manifest["media"]
    )

    _empty_install(settings, tmp_path)
    call_command("restore", str(tmp_path / "backup"), stdout=out)

    assert {model: model.objects.count() for model in counts} == counts
    assert {name: default_storage.open(name).read() for name in _stored_names()} == stored
    restored_order = Order.objects.get(code=order.code)
    assert (restored_order.code, restored_order.state) == (order.code, OrderState.PAID)
    assert _site_snapshot(artist, ep, restored_order) == before


def _stored_names() -> list[str]:
    from django.core.files.storage import storages

    from disquaire.core.backup import storage_list

    return [name for name, _size, _etag in storage_list(storages["default"])]


def _small_site() -> Order:
    offer = OfferFactory(kind=Offer.Kind.DIGITAL, price_minor=700)
    default_storage.save("covers/one.jpg", ContentFile(b"cover bytes"))
    order = order_for(offer)
    payment_confirm(payment=payment_create(order=order, provider="test"))
    return order


def test_restore_refuses_an_install_that_holds_data_and_changes_nothing(
    tmp_path: Path,
) -> None:
    _small_site()
    backup_create(destination=tmp_path / "backup")
    order_for(OfferFactory(kind=Offer.Kind.DIGITAL), email="later@example.org")

    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(tmp_path / "backup"), stdout=StringIO())

    assert Order.objects.count() == 2
    assert default_storage.exists("covers/one.jpg")


def test_restore_with_force_replaces_the_data_of_an_install_in_use(tmp_path: Path) -> None:
    order = _small_site()
    backup_create(destination=tmp_path / "backup")
    order_for(OfferFactory(kind=Offer.Kind.DIGITAL), email="later@example.org")

    backup_restore(source=tmp_path / "backup", force=True)

    assert list(Order.objects.values_list("code", flat=True)) == [order.code]


def test_a_damaged_backup_is_refused_before_anything_changes(settings: Any, tmp_path: Path) -> None:
    _small_site()
    backup_create(destination=tmp_path / "backup")
    (tmp_path / "backup" / "media" / "covers" / "one.jpg").write_bytes(b"other bytes")
    _empty_install(settings, tmp_path)

    with pytest.raises(BackupError, match=r"media/covers/one.jpg: checksum differs"):
        backup_restore(source=tmp_path / "backup")

    assert Order.objects.count() == 0
    assert install_is_empty() == []


def test_a_folder_without_a_manifest_is_not_restored(tmp_path: Path) -> None:
    (tmp_path / "half").mkdir()
    with pytest.raises(CommandError, match="did not finish"):
        call_command("restore", str(tmp_path / "half"), stdout=StringIO())


def test_a_backup_made_by_a_newer_version_is_refused(settings: Any, tmp_path: Path) -> None:
    _small_site()
    backup_create(destination=tmp_path / "backup")
    path = tmp_path / "backup" / MANIFEST
    data = json.loads(path.read_text())
    data["migrations"]["orders"].append("9999_from_the_future")
    path.write_text(json.dumps(data))
    _empty_install(settings, tmp_path)

    with pytest.raises(BackupError, match=r"newer Disquaire.*orders.9999_from_the_future"):
        backup_restore(source=tmp_path / "backup")


def test_backup_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "something").write_text("x")
    with pytest.raises(CommandError, match="not an empty folder"):
        call_command("backup", str(tmp_path / "backup"), stdout=StringIO())


def test_restore_check_verifies_the_checksums_without_changing_anything(
    tmp_path: Path,
) -> None:
    _small_site()
    backup_create(destination=tmp_path / "backup")
    out = StringIO()
    call_command("restore", str(tmp_path / "backup"), check=True, stdout=out)
    assert "The backup is whole" in out.getvalue()


def test_a_backup_of_s3_lists_keys_with_etags_and_copies_them_only_when_asked(
    s3_storage: str, tmp_path: Path
) -> None:
    default_storage.save("renditions/1/a.mp3", ContentFile(b"mp3 bytes"))

    listed = backup_create(destination=tmp_path / "listed")
    copied = backup_create(destination=tmp_path / "copied", copy_media=True)

    assert listed.storage == {"kind": "s3", "bucket": s3_storage, "copied": False}
    (entry,) = listed.media
    assert (entry.name, entry.bytes, entry.copied) == ("renditions/1/a.mp3", 9, False)
    assert entry.etag == hashlib.md5(b"mp3 bytes").hexdigest()  # noqa: S324 (S3's ETag)
    assert not (tmp_path / "listed" / "media").exists()
    (entry,) = copied.media
    assert entry.copied and entry.sha256 == hashlib.sha256(b"mp3 bytes").hexdigest()
    assert (tmp_path / "copied" / "media" / "renditions/1/a.mp3").read_bytes() == b"mp3 bytes"


def test_a_listed_s3_backup_restores_only_where_its_objects_are(
    s3_storage: str, tmp_path: Path, settings: Any
) -> None:
    default_storage.save("renditions/1/a.mp3", ContentFile(b"mp3 bytes"))
    OfferFactory()
    backup_create(destination=tmp_path / "listed")
    call_command("flush", interactive=False, verbosity=0)
    default_storage.delete("renditions/1/a.mp3")

    with pytest.raises(BackupError, match=r"renditions/1/a.mp3: not in the storage"):
        backup_restore(source=tmp_path / "listed")


# --- a backup while orders come in ---------------------------------------------------------

WRITERS = 3
MAX_ORDERS_PER_WRITER = 60


def _orders_consistent() -> None:
    """What a torn copy would break: every paid order has its confirmed payment, its
    audit trail and its download; every download has its paid order."""
    paid = list(Order.objects.filter(state=OrderState.PAID))
    for order in paid:
        payments = list(order.payments.filter(state=PaymentState.CONFIRMED))
        assert len(payments) == 1 and payments[0].amount_minor == order.total_minor
        assert order.lines.count() == 1
        assert order.audit_entries.filter(action="payment.confirm").exists()
        assert Entitlement.objects.filter(source_ref=f"order:{order.code}").count() == 1
    assert Entitlement.objects.count() == len(paid)
    assert Payment.objects.filter(state=PaymentState.CONFIRMED).count() == len(paid)


def _writes_during(backup: Any) -> tuple[int, int]:
    """Run ``backup`` while WRITERS threads sell; (orders before it, orders after all)."""
    offer = OfferFactory(kind=Offer.Kind.DIGITAL, price_minor=500)
    barrier = threading.Barrier(WRITERS + 1)
    first_sale = threading.Event()
    stop = threading.Event()
    errors: list[BaseException] = []

    def sell(index: int) -> None:
        try:
            barrier.wait()
            for _ in range(MAX_ORDERS_PER_WRITER):
                if stop.is_set():
                    break
                order = order_for(offer, email=f"fan{index}@example.org")
                payment_confirm(payment=payment_create(order=order, provider="test"))
                first_sale.set()
        except BaseException as exc:
            errors.append(exc)
        finally:
            first_sale.set()
            connections.close_all()

    threads = [threading.Thread(target=sell, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    first_sale.wait(timeout=60)
    before = Order.objects.count()
    try:
        backup()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    assert not errors, errors
    return before, Order.objects.count()


def _backup_under_load_restores_consistently(tmp_path: Path) -> None:
    before, after = _writes_during(lambda: backup_create(destination=tmp_path / "backup"))
    assert before >= 1
    _orders_consistent()

    backup_restore(source=tmp_path / "backup", force=True)

    restored = Order.objects.count()
    assert before <= restored <= after
    _orders_consistent()


def test_a_backup_taken_while_orders_come_in_restores_consistently_on_sqlite(
    tmp_path: Path,
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant")
    _backup_under_load_restores_consistently(tmp_path)


@pytest.mark.postgres
def test_a_backup_taken_while_orders_come_in_restores_consistently_on_postgresql(
    tmp_path: Path,
) -> None:
    _backup_under_load_restores_consistently(tmp_path)


# --- from the embedded mode to PostgreSQL and S3 -------------------------------------------


def _embedded_backup(tmp_path: Path, settings: Any) -> Path:
    """A separate embedded install (SQLite, local files) with the demo band, backed up
    with the `disquaire` command as an operator would."""
    import os
    import subprocess
    import sys

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "DISQUAIRE_"))
    }
    env.update(
        DISQUAIRE_DATA_DIR=str(tmp_path / "embedded"),
        DISQUAIRE_SECRET_KEY=settings.SECRET_KEY,
    )
    command = [sys.executable, "-m", "disquaire"]
    for args in (["demo", "--no-serve", "--track-seconds", "1"], ["backup", "embedded-backup"]):
        subprocess.run(
            [*command, *args], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=300
        )
    return tmp_path / "embedded-backup"


@pytest.mark.postgres
@pytest.mark.slow
def test_an_embedded_backup_restores_onto_postgresql_and_s3_with_keys_dates_and_files(
    s3_storage: str, tmp_path: Path, settings: Any
) -> None:
    import sqlite3

    backup = _embedded_backup(tmp_path, settings)
    manifest = json.loads((backup / MANIFEST).read_text())
    assert (manifest["engine"], manifest["storage"]["kind"]) == ("sqlite", "local")
    with sqlite3.connect(backup / "database.sqlite3") as source:
        tracks = source.execute(
            "SELECT id, title, created_at FROM catalog_track ORDER BY id"
        ).fetchall()
    assert tracks
    call_command("flush", interactive=False, verbosity=0)

    out = StringIO()
    call_command("restore", str(backup), stdout=out)

    assert "secret key" not in out.getvalue()
    restored = [
        (t.pk, t.title, t.created_at)
        for t in Track.objects.order_by("pk").only("title", "created_at")
    ]
    assert [(pk, title) for pk, title, _at in restored] == [(i, t) for i, t, _at in tracks]
    assert [at.isoformat(sep=" ").replace("+00:00", "") for _pk, _t, at in restored] == [
        at for _i, _t, at in tracks
    ]
    from django.core.files.storage import storages

    from disquaire.core.backup import storage_list

    in_bucket = {name: size for name, size, _etag in storage_list(storages["default"])}
    assert in_bucket == {entry["name"]: entry["bytes"] for entry in manifest["media"]}
    for entry in manifest["media"][:5]:
        with default_storage.open(entry["name"]) as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == entry["sha256"]
    # The sequences moved past the copied keys: new rows get new keys.
    artist = Artist.objects.get(name=DEMO_ARTIST)
    new = Release.objects.create(artist=artist, title="After the move", slug="after-the-move")
    assert new.pk > max(Release.objects.exclude(pk=new.pk).values_list("pk", flat=True))
    cache.clear()
    page = Client().get(f"/{artist.slug}/")
    assert page.status_code == 200 and RELEASES[0].title in page.content.decode()
