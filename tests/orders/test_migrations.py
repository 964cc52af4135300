"""Migrations that move data keep it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("orders", "0004_alter_editionunit_options_alter_orderline_options"),
    ("shop", "0002_alter_offer_options_alter_offeroption_options_and_more"),
]
AFTER = [("orders", "0005_editioncounter"), ("shop", "0003_remove_offer_numbers_issued")]


def test_edition_numbers_handed_out_move_to_their_counter() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Artist = old.get_model("catalog", "Artist")
    Offer = old.get_model("shop", "Offer")
    artist = Artist.objects.create(name="Band", slug="band")
    numbered = Offer.objects.create(
        artist=artist, kind="physical", title="Vinyl", numbered=True, numbers_issued=37
    )
    Offer.objects.create(artist=artist, kind="physical", title="CD", numbers_issued=0)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    counters = new.get_model("orders", "EditionCounter").objects.all()

    assert [(c.offer_id, c.issued) for c in counters] == [(numbered.pk, 37)]
    # Back to the latest state for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


HISTORY_BEFORE = [("orders", "0011_offer_stock_to_items"), ("core", "0002_activity_log")]
HISTORY_AFTER = [("orders", "0012_audit_entries_to_activity")]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_orders_history_moves_into_the_one_audit_log_and_back() -> None:
    old = _migrate(HISTORY_BEFORE)
    Artist = old.get_model("catalog", "Artist")
    Order = old.get_model("orders", "Order")
    AuditEntry = old.get_model("orders", "AuditEntry")
    artist = Artist.objects.create(name="Band", slug="band")
    order = Order.objects.create(
        artist=artist, code="ABCDEFGHJK", secret="s", currency="EUR", email="fan@example.org"
    )
    paid = AuditEntry.objects.create(
        action="order.paid", order=order, object_type="order", object_id=str(order.pk),
        actor="stripe", from_state="pending", to_state="paid", data={"amount_minor": 1200},
    )  # fmt: skip
    AuditEntry.objects.create(
        action="table.show_open", object_type="show", object_id="3", actor="seller", data={}
    )

    new = _migrate(HISTORY_AFTER)
    ActivityEntry = new.get_model("core", "ActivityEntry")
    moved = ActivityEntry.objects.get()
    assert (moved.artist_id, moved.order_id, moved.action, moved.actor) == (
        artist.pk, order.pk, "order.paid", "stripe",
    )  # fmt: skip
    assert moved.created_at == paid.created_at
    assert (moved.before, moved.after) == (
        {"state": "pending"},
        {"amount_minor": 1200, "state": "paid"},
    )
    left = new.get_model("orders", "AuditEntry").objects.all()
    assert [e.action for e in left] == ["table.show_open"]

    back = _migrate(HISTORY_BEFORE)
    restored = back.get_model("orders", "AuditEntry").objects.get(order_id=order.pk)
    assert (restored.from_state, restored.to_state, restored.data, restored.created_at) == (
        "pending", "paid", {"amount_minor": 1200}, paid.created_at,
    )  # fmt: skip
    assert not back.get_model("core", "ActivityEntry").objects.exists()
    # Back to the latest state for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_orders_to_collect_placed_before_the_claim_are_marked_mailed() -> None:
    """They were mailed when placed: the pick-up retry must not mail them again."""
    old = _migrate([("orders", "0012_audit_entries_to_activity")])
    Artist = old.get_model("catalog", "Artist")
    Order = old.get_model("orders", "Order")
    artist = Artist.objects.create(name="Band", slug="band")
    pickup = Order.objects.create(
        artist=artist, code="PICKUPAAAA", secret="s", currency="EUR", email="a@example.org",
        delivery="pickup",
    )  # fmt: skip
    shipped = Order.objects.create(
        artist=artist, code="SHIPPEDAAA", secret="s", currency="EUR", email="b@example.org"
    )

    new = _migrate([("orders", "0013_pickup_mail")])
    orders = new.get_model("orders", "Order").objects
    assert orders.get(pk=pickup.pk).pickup_mail_sent_at == pickup.created_at
    assert orders.get(pk=shipped.pk).pickup_mail_sent_at is None
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
