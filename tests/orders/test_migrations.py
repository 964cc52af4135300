"""Migrations that move data keep it."""

from __future__ import annotations

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
