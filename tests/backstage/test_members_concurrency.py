"""Two owners demote each other at the same moment (PostgreSQL row locks): one of them
stays owner. In the control — the same scenario with the rows read instead of locked —
both owners meet at a barrier after counting the owners and before writing
(``_check_delay``), which always shows the artist left without an owner."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from disquaire.backstage.services import members as member_services
from disquaire.catalog.models import Membership
from tests.factories import ArtistFactory, UserFactory
from tests.meeting import meeting_point

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


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
            member_services.membership_role_set(
                artist=artist, membership_id=target.pk, role=Membership.Role.MEMBER, by=by
            )
            results[index] = "demoted"
        except member_services.MembershipRefused as refused:
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
        member_services,
        "_memberships_lock",
        lambda artist_id: list(Membership.objects.filter(artist_id=artist_id).order_by("pk")),
    )
    monkeypatch.setattr(member_services, "_check_delay", meeting_point(2))
    results, roles = demote_each_other()
    assert results == ["demoted", "demoted"]
    assert roles == ["member", "member"]
