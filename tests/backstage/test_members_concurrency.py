"""Two owners demote each other at the same moment (PostgreSQL row locks): one of them
stays owner. The window between counting the owners and writing is widened on purpose
(``_check_delay``) so that the control — the same scenario with the rows read instead of
locked — reliably shows the artist left without an owner."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connections

from disquaire.backstage import services
from disquaire.catalog.models import Membership
from tests.factories import ArtistFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def wide_race_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "_check_delay", lambda: time.sleep(0.2))


def demote_each_other() -> tuple[list[Any], list[str]]:
    artist = ArtistFactory()
    first, second = UserFactory(), UserFactory()
    mine = Membership.objects.create(artist=artist, user=first, role=Membership.Role.OWNER)
    theirs = Membership.objects.create(artist=artist, user=second, role=Membership.Role.OWNER)
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def owner(index: int, by: Any, target: Membership) -> None:
        try:
            barrier.wait()
            services.membership_role_set(
                artist=artist, membership_id=target.pk, role=Membership.Role.MEMBER, by=by
            )
            results[index] = "demoted"
        except services.MembershipRefused as refused:
            results[index] = str(refused)
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=owner, args=(0, first, theirs)),
        threading.Thread(target=owner, args=(1, second, mine)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    roles = list(Membership.objects.filter(artist=artist).values_list("role", flat=True))
    return results, roles


def test_two_owners_demoting_each_other_leave_one_owner() -> None:
    results, roles = demote_each_other()
    assert sorted(map(str, results)) == ["Only an owner can change the members.", "demoted"]
    assert sorted(roles) == ["member", "owner"]


def test_control_without_the_row_locks_the_artist_loses_every_owner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Proves the test above can fail: read the rows instead of locking them."""
    monkeypatch.setattr(
        services,
        "_memberships_lock",
        lambda artist_id: list(Membership.objects.filter(artist_id=artist_id).order_by("pk")),
    )
    results, roles = demote_each_other()
    assert results == ["demoted", "demoted"]
    assert roles == ["member", "member"]
