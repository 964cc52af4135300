"""The demo band's followers and one update already sent (`disquaire demo`)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from disquaire.catalog.models import Artist
from disquaire.fans.follow import consent_wording
from disquaire.fans.follow_models import ConsentSource, Follower, FollowerState
from disquaire.fans.updates_models import Delivery, DeliveryState, Update, UpdateState

DEMO_FOLLOWERS = [
    # email, language, country, source, state
    ("camille@example.org", "fr", "FR", ConsentSource.PAGE, FollowerState.CONFIRMED),
    ("jonas@example.org", "en", "DE", ConsentSource.CHECKOUT, FollowerState.CONFIRMED),
    ("ines@example.org", "fr", "BE", ConsentSource.FAN, FollowerState.CONFIRMED),
    ("sam@example.org", "en", "GB", ConsentSource.IMPORT, FollowerState.CONFIRMED),
    ("lea@example.org", "fr", "FR", ConsentSource.TABLE, FollowerState.CONFIRMED),
    ("marco@example.org", "en", "IT", ConsentSource.PAGE, FollowerState.CONFIRMED),
    ("nour@example.org", "fr", "FR", ConsentSource.PAGE, FollowerState.PENDING),
    ("alex@example.org", "en", "US", ConsentSource.CHECKOUT, FollowerState.UNSUBSCRIBED),
]


def demo_followers_create(*, artist: Artist) -> None:
    """Followers of every kind and one update sent to them; nothing if already there."""
    if Follower.objects.filter(artist=artist).exists():
        return
    now = timezone.now()
    wording = consent_wording(artist=artist)
    with transaction.atomic():
        followers = [
            Follower.objects.create(
                artist=artist,
                email=email,
                language=language,
                country=country,
                consent_source=source,
                consent_at=now - timedelta(days=30 - n),
                consent_text=wording,
                consent_where=artist.get_absolute_url(),
                state=state,
                confirmed_at=now - timedelta(days=30 - n)
                if state != FollowerState.PENDING
                else None,
            )
            for n, (email, language, country, source, state) in enumerate(DEMO_FOLLOWERS)
        ]
        update = Update.objects.create(
            artist=artist,
            subject="Back in the studio",
            body="We are recording four new songs this month. First listen here soon!",
            state=UpdateState.SENT,
            created_by="demo",
            started_at=now - timedelta(days=3),
            finished_at=now - timedelta(days=3),
        )
        Delivery.objects.bulk_create(
            Delivery(
                update=update,
                follower=f,
                email=f.email,
                state=DeliveryState.SENT,
                attempts=1,
                sent_at=now - timedelta(days=3),
            )
            for f in followers
            if f.state != FollowerState.PENDING
        )
