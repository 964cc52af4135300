"""The band's Updates pages: write (or start from a news post), see how many would get
it, preview, send a test to yourself, schedule, send, and follow the counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from disquaire.catalog.models import Membership, NewsPost
from disquaire.fans.models import ConsentSource, Follower, Update, UpdateState
from tests.factories import ArtistFactory, MembershipFactory, ReleaseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def band(settings: Any) -> Any:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.DISQUAIRE_UPDATES_RATE = 0
    artist = ArtistFactory(name="Les Rats")
    user = UserFactory(email="drummer@example.org")
    MembershipFactory(artist=artist, user=user, role=Membership.Role.MEMBER)
    client = Client()
    client.force_login(user)
    now = timezone.now()
    for email in ("a@example.org", "b@example.org"):
        Follower.objects.create(
            artist=artist,
            email=email,
            state="confirmed",
            consent_source=ConsentSource.PAGE,
            consent_at=now,
            confirmed_at=now,
        )
    return artist, client


def test_write_preview_test_then_send_an_update(
    band: Any, django_capture_on_commit_callbacks: Any
) -> None:
    artist, client = band
    base = f"/backstage/artists/{artist.slug}/updates/"
    assert client.get(base).status_code == 200
    response = client.post(
        base + "new/",
        {"subject": "Tour", "body": "Ten *dates*.", "topic": "news", "segment": "all"},
    )
    update = Update.objects.get()
    assert response["Location"] == f"{base}{update.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "2 followers would get it now." in page
    preview = client.get(f"{base}{update.pk}/preview/")
    assert "<em>dates</em>" in preview.content.decode()
    assert "sandbox" in preview["Content-Security-Policy"]

    client.post(f"{base}{update.pk}/test/")
    (test,) = mail.outbox
    assert test.to == ["drummer@example.org"] and test.subject == "[TEST] Tour"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{base}{update.pk}/send/", {"action": "send"})
    update.refresh_from_db()
    assert update.state == UpdateState.SENT
    assert sorted(m.to[0] for m in mail.outbox[1:]) == ["a@example.org", "b@example.org"]
    page = client.get(f"{base}{update.pk}/").content.decode()
    assert "Recipients" in page
    # Sent: it cannot be sent again, nor changed.
    client.post(f"{base}{update.pk}/send/", {"action": "send"})
    assert len(mail.outbox) == 3


def test_a_news_post_starts_an_update_and_a_time_schedules_it(band: Any) -> None:
    artist, client = band
    post = NewsPost.objects.create(artist=artist, title="Studio", slug="studio", body="Hi")
    base = f"/backstage/artists/{artist.slug}/updates/"
    form = client.get(f"{base}new/?news={post.pk}").content.decode()
    assert 'value="Studio"' in form
    client.post(
        f"{base}new/?news={post.pk}",
        {"subject": "Studio", "body": "Hi", "topic": "news", "segment": "all"},
    )
    update = Update.objects.get()
    assert update.news_post == post
    client.post(f"{base}{update.pk}/send/", {"action": "schedule", "send_at": "2099-01-01T20:00"})
    update.refresh_from_db()
    assert update.state == UpdateState.SCHEDULED and update.send_at is not None
    client.post(f"{base}{update.pk}/send/", {"action": "unschedule"})
    update.refresh_from_db()
    assert update.state == UpdateState.DRAFT
    assert mail.outbox == []


def test_a_segment_needs_its_parameter_and_the_release_choice_is_the_bands(band: Any) -> None:
    artist, client = band
    other = ReleaseFactory()
    response = client.post(
        f"/backstage/artists/{artist.slug}/updates/new/",
        {
            "subject": "For buyers",
            "body": "Thanks",
            "topic": "news",
            "segment": "buyers",
            "segment_release": other.pk,
        },
    )
    assert response.status_code == 200  # the form again: another band's release is no choice
    assert not Update.objects.exists()


def test_release_day_announcement_can_be_turned_off(band: Any) -> None:
    artist, client = band
    release = ReleaseFactory(artist=artist, release_date=timezone.localdate())
    client.post(
        f"/backstage/artists/{artist.slug}/updates/announce/{release.pk}/", {"announce": "off"}
    )
    release.refresh_from_db()
    assert release.announcement.enabled is False


def test_an_update_about_a_concert_counts_only_the_followers_nearby(band: Any) -> None:
    from datetime import timedelta

    from disquaire.catalog.models import Concert

    artist, client = band
    Follower.objects.filter(email="a@example.org").update(country="FR")
    when = timezone.now() + timedelta(days=10)
    concert = Concert.objects.create(
        artist=artist, starts_at=when, venue="La Cigale", city="Paris", country="FR"
    )
    elsewhere = Concert.objects.create(
        artist=ArtistFactory(), starts_at=when, venue="AB", city="Brussels", country="BE"
    )
    base = f"/backstage/artists/{artist.slug}/updates/"
    fields = {"subject": "Paris!", "body": "See you", "topic": "news", "segment": "all"}
    response = client.post(base + "new/", {**fields, "concert": elsewhere.pk})
    assert response.status_code == 200 and not Update.objects.exists()  # not the band's
    response = client.post(base + "new/", {**fields, "concert": concert.pk})
    update = Update.objects.get()
    assert (update.concert, update.topic) == (concert, "concerts")
    page = client.get(response["Location"]).content.decode()
    assert "1 follower would get it now." in page
