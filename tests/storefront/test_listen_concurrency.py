"""Limited plays under concurrency: no burst of requests gets more than N full plays.

Runs on the configured database (SQLite by default, PostgreSQL under `make
test-postgres`); the claim is one conditional UPDATE, which both serialise per row.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from disquaire.catalog.models import PreviewPolicy
from disquaire.storefront.listening import access as listen_access
from disquaire.storefront.listening import plays as listen_plays
from disquaire.storefront.models import PlayCount
from tests.factories import ReleaseFactory, TrackFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 10


def _in_threads(work: Callable[[int], Any]) -> list[Any]:
    def run(index: int) -> Any:
        try:
            return work(index)
        finally:
            connections.close_all()  # each thread opened its own connection

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def test_ten_concurrent_claims_with_three_plays_left_grant_exactly_three() -> None:
    release = ReleaseFactory(preview_policy=PreviewPolicy.LIMITED, preview_full_plays=3)
    listener = listen_access.Listener(key="d:concurrent-listener-0001")
    start = threading.Barrier(THREADS)

    def claim(_: int) -> bool:
        start.wait()
        granted, _left = listen_plays.listen_play_claim(release=release, listener=listener)
        return granted

    results = _in_threads(claim)

    assert results.count(True) == 3
    assert PlayCount.objects.get(release=release, listener_key=listener.key).plays == 3


def test_ten_concurrent_play_requests_from_one_device_get_three_full_streams() -> None:
    release = ReleaseFactory(preview_policy=PreviewPolicy.LIMITED, preview_full_plays=3)
    track = TrackFactory(release=release, status="ready")
    first = Client().get(reverse("storefront:listen_data", args=[release.pk]))
    cookie = first.cookies["dq_listener"].value
    url = reverse("storefront:listen_play", args=[release.pk, track.pk])
    start = threading.Barrier(THREADS)

    def play(_: int) -> str:
        client = Client()
        client.cookies["dq_listener"] = cookie
        start.wait()
        response = client.post(url)
        assert response.status_code == 200, response.content
        return str(response.json()["track"]["mode"])

    modes = _in_threads(play)

    assert sorted(modes) == ["clip"] * 7 + ["full"] * 3
    assert PlayCount.objects.get(release=release).plays == 3


def test_control_a_read_then_write_claim_would_overspend() -> None:
    """The race the conditional UPDATE prevents: read the count, check, then write."""
    release = ReleaseFactory(preview_policy=PreviewPolicy.LIMITED, preview_full_plays=3)
    row = PlayCount.objects.create(release=release, listener_key="d:control", plays=0)
    read_done = threading.Barrier(THREADS)

    def naive_claim(_: int) -> bool:
        plays = PlayCount.objects.get(pk=row.pk).plays
        read_done.wait()  # every request has read before any writes: the unlucky timing
        if plays >= release.preview_full_plays:
            return False
        PlayCount.objects.filter(pk=row.pk).update(plays=plays + 1)
        return True

    results = _in_threads(naive_claim)

    assert results.count(True) > release.preview_full_plays
