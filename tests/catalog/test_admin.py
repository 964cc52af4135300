from __future__ import annotations

import pytest
from django.test import Client

from disquaire.catalog.models import ProcessingStatus, Track
from tests.factories import MembershipFactory, TrackFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", ["artist", "release", "track", "tag", "concert", "newspost"])
def test_admin_lists_every_catalogue_model(admin_client: Client, model: str) -> None:
    TrackFactory()
    MembershipFactory()
    response = admin_client.get(f"/admin/catalog/{model}/")
    assert response.status_code == 200


def test_admin_edits_a_release_with_its_tracks(admin_client: Client) -> None:
    track = TrackFactory()
    response = admin_client.get(f"/admin/catalog/release/{track.release_id}/change/")
    assert response.status_code == 200
    assert track.title in response.content.decode()
    response = admin_client.get(f"/admin/catalog/track/{track.pk}/change/")
    assert response.status_code == 200


def test_admin_retry_action_requeues_failed_tracks(admin_client: Client) -> None:
    failed = TrackFactory(status=ProcessingStatus.FAILED, error="ffmpeg exploded", attempts=3)
    ready = TrackFactory(status=ProcessingStatus.READY)
    response = admin_client.post(
        "/admin/catalog/track/",
        {"action": "retry_tracks", "_selected_action": [failed.pk, ready.pk]},
        follow=True,
    )
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == ProcessingStatus.PENDING and failed.attempts == 0 and not failed.error
    assert Track.objects.get(pk=ready.pk).status == ProcessingStatus.READY
