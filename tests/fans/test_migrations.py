"""The shop's mailing list becomes the fans' followers, nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("fans", "0005_followers_updates"), ("shop", "0004_offers_move_to_selling")]
AFTER = [("fans", "0006_followers_from_subscribers"), ("shop", "0005_remove_subscriber")]


def test_subscribers_are_copied_as_followers_with_their_state_and_dates() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Artist = old.get_model("catalog", "Artist")
    Subscriber = old.get_model("shop", "Subscriber")
    artist = Artist.objects.create(name="Band", slug="band", default_language="fr")
    joined = datetime(2025, 3, 1, 12, tzinfo=UTC)
    confirmed = Subscriber.objects.create(
        artist=artist, email="Fan@Example.org", confirmed_at=joined
    )
    pending = Subscriber.objects.create(artist=artist, email="later@example.org")
    Subscriber.objects.filter(pk=confirmed.pk).update(created_at=joined)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Follower = new.get_model("fans", "Follower")
    rows = {f.pk: f for f in Follower.objects.all()}

    assert set(rows) == {confirmed.pk, pending.pk}  # the same ids: old links still work
    kept = rows[confirmed.pk]
    assert (kept.email, kept.state, kept.language) == ("fan@example.org", "confirmed", "fr")
    assert kept.consent_source == "legacy"
    assert kept.confirmed_at == joined and kept.created_at == joined and kept.consent_at == joined
    assert rows[pending.pk].state == "pending" and rows[pending.pk].confirmed_at is None
    # A new follower after the copy gets a fresh id (the sequence moved on).
    fresh = Follower.objects.create(
        artist_id=artist.pk, email="new@example.org", consent_source="page", consent_at=joined
    )
    assert fresh.pk > max(rows)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
