"""Counting plays: the limited full plays per listener, and the daily play counts."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from disquaire.catalog.models import (
    Release,
    Track,
)
from disquaire.core.counters import day_count_add
from disquaire.storefront.listening.access import Listener
from disquaire.storefront.models import PlayCount


def listen_plays_left(*, release: Release, listener: Listener) -> int:
    """Full plays ``listener`` has left on ``release`` (a read; counts nothing)."""
    used = (
        PlayCount.objects.filter(release=release, listener_key=listener.key)
        .values_list("plays", flat=True)
        .first()
    )
    return max(0, release.preview_full_plays - (used or 0))


def listen_play_claim(*, release: Release, listener: Listener) -> tuple[bool, int]:
    """Use one of ``listener``'s full plays of ``release``: ``(granted, plays left)``.

    Race-free without a read-modify-write: the row is created if missing (INSERT … ON
    CONFLICT DO NOTHING), then ``UPDATE … SET plays = plays + 1 WHERE plays < N``. The
    database evaluates the condition and writes under the row's lock (PostgreSQL
    re-checks the WHERE on the latest row version after waiting for a concurrent
    writer; SQLite writes one statement at a time), so N concurrent claims with one play
    left grant exactly one. The read of what is left happens in the same transaction,
    after our own write.
    """
    limit = release.preview_full_plays
    PlayCount.objects.bulk_create(
        [PlayCount(release=release, listener_key=listener.key)], ignore_conflicts=True
    )
    rows = PlayCount.objects.filter(release=release, listener_key=listener.key)
    with transaction.atomic():
        granted = rows.filter(plays__lt=limit).update(
            plays=F("plays") + 1, updated_at=timezone.now()
        )
        used = rows.values_list("plays", flat=True).get()
    return bool(granted), max(0, limit - used)


def track_play_record(*, track: Track) -> None:
    """Count one play of ``track`` today (for the band's statistics)."""
    from disquaire.storefront.models import TrackPlayDay

    day_count_add(TrackPlayDay, field="plays", track=track)
