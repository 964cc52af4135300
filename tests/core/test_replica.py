"""The read replica: stats, reports and the order search read it; a client that has just
written reads the primary; stock, orders and payments never touch it.

The ``replica`` alias here is a second connection to the test database (the lab points it
at a real streaming replica, docs/scaling.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.utils import load_backend
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from disquaire.core import replica
from disquaire.core.models import WorkerHeartbeat
from disquaire.orders.models import Order
from disquaire.orders.services import payment_confirm, payment_create
from disquaire.selling.models import Offer
from tests.factories import ArtistFactory, MembershipFactory, ReleaseFactory, UserFactory
from tests.shop.factories import OfferFactory, PaymentSettingsFactory
from tests.shop.helpers import checkout_post, order_for

pytestmark = pytest.mark.django_db(transaction=True)


def _alias_to(settings_dict: dict[str, Any]) -> Iterator[Any]:
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, replica.REPLICA)
    connections[replica.REPLICA] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.close()
        del connections[replica.REPLICA]


@pytest.fixture
def replica_db(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A `replica` alias on the test database, and the instance told it has one."""
    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    monkeypatch.setattr(replica, "_failed_at", {})
    yield from _alias_to(dict(connections[DEFAULT_DB_ALIAS].settings_dict))


@pytest.fixture
def unreachable_replica(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """A `replica` alias on a database file that cannot be opened."""
    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    monkeypatch.setattr(replica, "_failed_at", {})
    broken = dict(connections[DEFAULT_DB_ALIAS].settings_dict)
    broken.update(
        ENGINE="django.db.backends.sqlite3",
        NAME=str(tmp_path / "no-such-folder" / "db.sqlite3"),
        OPTIONS={},
    )
    yield from _alias_to(broken)


@pytest.fixture
def band_client() -> tuple[Client, str]:
    user = UserFactory(username="band@example.org", email="band@example.org")
    artist = ArtistFactory(slug="lesbijoux")
    MembershipFactory(artist=artist, user=user, role="owner")
    offer = OfferFactory(release=ReleaseFactory(artist=artist), kind=Offer.Kind.DIGITAL)
    order = order_for(offer)
    payment_confirm(payment=payment_create(order=order, provider="test"))
    client = Client()
    client.force_login(user)
    return client, artist.slug


def _order_queries(capture: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in capture.captured_queries if "orders_order" in q["sql"]]


def test_without_a_replica_reports_read_the_primary_and_no_cookie_is_set(
    band_client: tuple[Client, str],
) -> None:
    client, slug = band_client
    assert replica.reporting_db() == DEFAULT_DB_ALIAS
    response = client.post(reverse("backstage:stats", kwargs={"artist": slug}))
    assert replica.PIN_COOKIE not in response.cookies


def test_stats_and_the_order_search_read_the_replica(
    replica_db: Any, band_client: tuple[Client, str]
) -> None:
    client, slug = band_client
    with CaptureQueriesContext(replica_db) as on_replica:
        stats = client.get(reverse("backstage:stats", kwargs={"artist": slug}))
        search = client.get(reverse("backstage:orders", kwargs={"artist": slug}), {"q": "fan"})
        export = client.get(reverse("backstage:orders_export", kwargs={"artist": slug}))

    assert stats.status_code == search.status_code == export.status_code == 200
    assert "fan@example.org" in search.content.decode()
    assert "fan@example.org" in export.content.decode()
    assert len(_order_queries(on_replica)) >= 3


def test_after_a_write_the_same_clients_reports_read_the_primary_for_a_while(
    replica_db: Any, band_client: tuple[Client, str], settings: Any
) -> None:
    client, slug = band_client
    stats = reverse("backstage:stats", kwargs={"artist": slug})
    wrote = client.post(reverse("set_language"), {"language": "en", "next": stats})
    cookie = wrote.cookies[replica.PIN_COOKIE]
    assert cookie["max-age"] == settings.DISQUAIRE_REPLICA_PIN_SECONDS
    assert cookie["httponly"]

    with CaptureQueriesContext(replica_db) as on_replica:
        assert client.get(stats).status_code == 200
    assert on_replica.captured_queries == []

    # Another client, who wrote nothing, reads the replica.
    other = Client()
    other.force_login(_user(slug))
    with CaptureQueriesContext(replica_db) as on_replica:
        assert other.get(stats).status_code == 200
    assert _order_queries(on_replica)


def _user(slug: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(memberships__artist__slug=slug)


def test_a_sale_never_reads_or_writes_the_replica(replica_db: Any) -> None:
    offer = OfferFactory(kind=Offer.Kind.DIGITAL, stock=3)
    PaymentSettingsFactory(artist=offer.artist)  # test mode: the test payment is offered
    client = Client()
    with CaptureQueriesContext(replica_db) as on_replica:
        client.post("/cart/add/", {"offer": offer.pk})
        response = checkout_post(
            client, offer.artist, {"email": "fan@example.org", "provider": "test"}
        )
        client.post(response["Location"], {"outcome": "success"})
    assert Order.objects.get().state == "paid"
    assert on_replica.captured_queries == []


def test_a_row_read_from_the_replica_is_saved_to_the_primary(replica_db: Any) -> None:
    artist = ArtistFactory(bio="before")
    from_replica = type(artist).objects.using(replica.REPLICA).get(pk=artist.pk)
    from_replica.bio = "after"
    with CaptureQueriesContext(replica_db) as on_replica:
        from_replica.save(update_fields=["bio"])
    assert on_replica.captured_queries == []
    artist.refresh_from_db()
    assert artist.bio == "after"
    assert replica.PrimaryRouter().allow_migrate(replica.REPLICA, "orders") is False


def test_inside_a_transaction_reports_read_the_primary(replica_db: Any) -> None:
    assert replica.reporting_db() == replica.REPLICA
    with transaction.atomic():
        assert replica.reporting_db() == DEFAULT_DB_ALIAS


def test_an_unreachable_replica_sends_reports_to_the_primary(
    unreachable_replica: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert replica.reporting_db() == DEFAULT_DB_ALIAS
    assert "read replica cannot be reached" in caplog.text
    # Not tried again at once: the next report goes straight to the primary.
    caplog.clear()
    assert replica.reporting_db() == DEFAULT_DB_ALIAS
    assert caplog.text == ""


def _healthz(client: Client) -> Any:
    WorkerHeartbeat.objects.create(worker_id="w1", last_seen=timezone.now())
    return client.get("/healthz")


def test_healthz_says_nothing_of_a_replica_when_none_is_configured(client: Client) -> None:
    response = _healthz(client)
    assert response.status_code == 200
    assert "replica" not in response.json()


def test_healthz_reports_a_reachable_replica(replica_db: Any, client: Client) -> None:
    response = _healthz(client)
    assert response.status_code == 200
    state = response.json()["replica"]
    assert state["ok"] is True and state["reachable"] is True
    if replica_db.vendor == "postgresql":
        # The test alias mirrors the primary: reachable, but no standby, so no lag.
        assert state["standby"] is False and state["lag_seconds"] is None


def test_healthz_reports_an_unreachable_replica_and_stays_healthy(
    unreachable_replica: Any, client: Client
) -> None:
    response = _healthz(client)
    # The reports read the primary meanwhile: the machine serves everything still.
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["replica"] == {"ok": False, "reachable": False}
