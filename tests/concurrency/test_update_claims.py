"""Senders of one update running at once (several workers) never mail anyone twice:
each claims its recipients (SKIP LOCKED, then a conditional UPDATE) before sending.
The control claims without that (read, then update whatever was read): the same mail
goes out several times."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.utils import timezone

from disquaire.fans import updates, updates_sending
from disquaire.fans.models import ConsentSource, Delivery, DeliveryState, Follower
from tests.factories import ArtistFactory
from tests.fans.smtp import SMTPServer
from tests.meeting import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SENDERS = 6
FOLLOWERS = 120


@pytest.fixture
def sending(settings: Any) -> Any:
    with SMTPServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = False
        settings.DISQUAIRE_UPDATES_RATE = 0
        settings.DISQUAIRE_UPDATES_BATCH = 10
        artist = ArtistFactory()
        now = timezone.now()
        Follower.objects.bulk_create(
            Follower(
                artist=artist,
                email=f"fan{n}@example.org",
                state="confirmed",
                consent_source=ConsentSource.IMPORT,
                consent_at=now,
                confirmed_at=now,
            )
            for n in range(FOLLOWERS)
        )
        update = updates.update_save(artist=artist, subject="News", body="Hello")
        updates.update_start(update=update)
        yield update, server.inbox


def test_several_senders_at_once_mail_each_follower_exactly_once(sending: Any) -> None:
    update, inbox = sending
    results = run_at_once(SENDERS, lambda i: updates_sending.update_send(update_id=update.pk))
    assert not [r for r in results if isinstance(r, Exception)], results
    received = Counter(inbox.to())
    assert len(received) == FOLLOWERS and max(received.values()) == 1
    assert sum(results) == FOLLOWERS
    assert Delivery.objects.filter(state=DeliveryState.SENT).count() == FOLLOWERS


def test_control_claiming_without_the_conditional_update_mails_people_twice(
    sending: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    update, inbox = sending
    first_round = threading.Barrier(SENDERS)
    local = threading.local()

    def naive_claim(*, update_id: int, limit: int) -> list[updates_sending.Claimed]:
        rows = list(
            Delivery.objects.filter(update_id=update_id, state=DeliveryState.QUEUED)
            .order_by("pk")
            .values_list("pk", "email", "follower_id", "follower__language")[:limit]
        )
        if not getattr(local, "met", False):
            local.met = True
            first_round.wait()  # every sender has read the same rows
        Delivery.objects.filter(pk__in=[r[0] for r in rows]).update(
            state=DeliveryState.SENDING, claimed_at=timezone.now()
        )
        return [updates_sending.Claimed(*r) for r in rows]

    monkeypatch.setattr(updates_sending, "_claim", naive_claim)
    run_at_once(SENDERS, lambda i: updates_sending.update_send(update_id=update.pk))
    received = Counter(inbox.to())
    assert max(received.values()) > 1
