"""Releases from the dashboard: details, tracklist order, publication, status, retry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from disquaire.catalog.models import ProcessingStatus, Release, Rendition, Track
from disquaire.catalog.services import editing as editing_services
from tests.backstage.conftest import Band
from tests.factories import TrackFactory


def _url(band: Band, name: str, **kwargs: Any) -> str:
    return reverse(
        f"backstage:{name}",
        kwargs={"artist": band.artist.slug, "release_id": band.release.pk, **kwargs},
    )


def _tracks(band: Band, n: int = 3) -> list[Track]:
    return [TrackFactory(release=band.release, position=i, title=f"T{i}") for i in range(1, n + 1)]


def _order(band: Band) -> list[str]:
    return list(band.release.tracks.order_by("position").values_list("title", flat=True))


@pytest.mark.django_db
def test_new_release_is_a_draft_with_a_unique_address(band: Band) -> None:
    url = reverse("backstage:release_create", kwargs={"artist": band.artist.slug})
    for _ in range(2):
        band.client.post(url, {"title": "Sous la pluie", "kind": "ep"})
    releases = Release.objects.filter(artist=band.artist, title="Sous la pluie")
    assert sorted(releases.values_list("slug", flat=True)) == ["sous-la-pluie", "sous-la-pluie-2"]
    assert {r.visibility for r in releases} == {Release.Visibility.DRAFT}


@pytest.mark.django_db
def test_release_details_and_tags_are_saved(band: Band) -> None:
    response = band.client.post(
        _url(band, "release"),
        {
            "title": "Pluie",
            "kind": "album",
            "release_date": "2026-12-01",
            "description": "Notre premier.",
            "credits": "Enregistré à Lyon",
            "catalogue_number": "BDF-001",
            "upc": "036000291452",
            "cover_alt": "Une rue sous la pluie",
            "preview_policy": "clips",
            "preview_clip_seconds": "45",
            "preview_full_plays": "3",
            "tag_names": "chanson, Lyon , ",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    band.release.refresh_from_db()
    assert band.release.title == "Pluie" and band.release.preview_clip_seconds == 45
    assert sorted(t.name for t in band.release.tags.all()) == ["Lyon", "chanson"]


@pytest.mark.django_db
def test_invalid_upc_is_refused(band: Band) -> None:
    response = band.client.post(
        _url(band, "release"),
        {"title": "x", "kind": "album", "upc": "036000291453", "preview_policy": "full",
         "preview_clip_seconds": "30", "preview_full_plays": "3"},
    )  # fmt: skip
    assert response.status_code == 200 and "upc" in response.context["form"].errors


@pytest.mark.django_db
def test_reorder_rewrites_positions_without_breaking_uniqueness(band: Band) -> None:
    t1, t2, t3 = _tracks(band)
    response = band.client.post(
        _url(band, "tracks_reorder"),
        {"order": [t3.pk, t1.pk, t2.pk]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert _order(band) == ["T3", "T1", "T2"]
    assert list(band.release.tracks.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
        3,
    ]
    assert [t["id"] for t in response.json()["tracks"]] == [t3.pk, t1.pk, t2.pk]


@pytest.mark.django_db
def test_reorder_must_name_every_track_once(band: Band) -> None:
    t1, t2, _ = _tracks(band)
    for order in ([t1.pk, t2.pk], [t1.pk, t1.pk, t2.pk], "nope"):
        response = band.client.post(
            _url(band, "tracks_reorder"), {"order": order}, content_type="application/json"
        )
        assert response.status_code == 400
    assert _order(band) == ["T1", "T2", "T3"]


@pytest.mark.django_db
def test_up_and_down_buttons_move_a_track(band: Band) -> None:
    t1, _t2, t3 = _tracks(band)
    band.client.post(_url(band, "track_move", track_id=t3.pk), {"direction": "up"})
    assert _order(band) == ["T1", "T3", "T2"]
    response = band.client.post(
        _url(band, "track_move", track_id=t1.pk),
        {"direction": "down"},
        headers={"accept": "application/json"},
    )
    assert response.json()["tracks"][0]["id"] == t3.pk
    band.client.post(_url(band, "track_move", track_id=t3.pk), {"direction": "up"})  # first already
    assert _order(band) == ["T3", "T1", "T2"]


@pytest.mark.django_db
def test_track_edit_normalises_and_validates_the_isrc(band: Band) -> None:
    (track,) = _tracks(band, 1)
    url = _url(band, "track_edit", track_id=track.pk)
    data = {"title": "Titre", "lyrics": "la la", "credits": "", "is_free": "on"}
    assert band.client.post(url, {**data, "isrc": "FR-Z03-98-00212"}).status_code == 302
    track.refresh_from_db()
    assert track.isrc == "FRZ039800212" and track.is_free and track.lyrics == "la la"
    response = band.client.post(url, {**data, "isrc": "NOT-AN-ISRC"})
    assert response.status_code == 200 and "isrc" in response.context["form"].errors


@pytest.mark.django_db
def test_publish_now(band: Band) -> None:
    band.client.post(_url(band, "release_publish"), {"action": "publish"})
    band.release.refresh_from_db()
    assert band.release.visibility == Release.Visibility.PUBLISHED and band.release.is_public


@pytest.mark.django_db
def test_after_publishing_the_band_is_shown_the_way_to_the_public_page(band: Band) -> None:
    public = band.release.get_absolute_url()
    draft_page = band.client.get(_url(band, "release")).content.decode()
    assert f'href="{public}"' not in draft_page

    response = band.client.post(_url(band, "release_publish"), {"action": "publish"}, follow=True)

    page = response.content.decode()
    assert f'The release is published. <a href="{public}">View it on the site</a>' in page
    # And the release's page keeps the link while it is public.
    again = band.client.get(_url(band, "release")).content.decode()
    assert f'<a class="button ghost" href="{public}">View on the site</a>' in again


@pytest.mark.django_db
def test_schedule_needs_a_date_and_publishes_at_that_time(band: Band) -> None:
    assert (
        band.client.post(_url(band, "release_publish"), {"action": "schedule"}).status_code == 400
    )
    at = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    band.client.post(
        _url(band, "release_publish"),
        {"action": "schedule", "publish_at": timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")},
    )
    band.release.refresh_from_db()
    assert band.release.visibility == Release.Visibility.SCHEDULED
    assert band.release.publish_at == at and not band.release.is_public


@pytest.mark.django_db
def test_unlisted_release_opens_only_with_its_preview_link_until_revoked(
    band: Band, client: Any
) -> None:
    band.client.post(_url(band, "release_publish"), {"action": "unlisted"})
    band.release.refresh_from_db()
    assert band.release.visibility == Release.Visibility.UNLISTED
    page = band.client.get(_url(band, "release")).content.decode()
    old = band.release.preview_token
    assert f"?preview={old}" in page
    public = band.release.get_absolute_url()
    assert client.get(public).status_code == 404
    assert client.get(public, {"preview": old}).status_code == 200

    band.client.post(_url(band, "preview_revoke"))
    band.release.refresh_from_db()
    assert band.release.preview_token != old
    assert client.get(public, {"preview": old}).status_code == 404
    assert client.get(public, {"preview": band.release.preview_token}).status_code == 200


@pytest.mark.django_db
def test_back_to_draft(band: Band) -> None:
    editing_services.release_publish(release=band.release)
    band.client.post(_url(band, "release_publish"), {"action": "draft"})
    band.release.refresh_from_db()
    assert band.release.visibility == Release.Visibility.DRAFT


@pytest.mark.django_db
def test_status_json_reports_each_track_and_format(band: Band) -> None:
    t1, t2 = _tracks(band, 2)
    Rendition.objects.create(
        track=t1, format="mp3-320", status=ProcessingStatus.PROCESSING, progress=0.5
    )
    Track.objects.filter(pk=t1.pk).update(status=ProcessingStatus.PROCESSING)
    Track.objects.filter(pk=t2.pk).update(status=ProcessingStatus.FAILED, error="truncated")
    data = band.client.get(_url(band, "release_status")).json()
    assert data["done"] is False
    first, second = data["tracks"]
    assert first["status"] == "processing"
    assert first["formats"] == [
        {"format": "mp3-320", "label": first["formats"][0]["label"], "status": "processing",
         "status_label": "processing", "progress": 0.5}
    ]  # fmt: skip
    assert second["status"] == "failed" and second["error"] == "truncated"


@pytest.mark.django_db
def test_retry_requeues_a_failed_track(band: Band, django_capture_on_commit_callbacks: Any) -> None:
    (track,) = _tracks(band, 1)
    Track.objects.filter(pk=track.pk).update(
        status=ProcessingStatus.FAILED, error="boom", attempts=3
    )
    Rendition.objects.create(
        track=track, format="mp3-320", status=ProcessingStatus.FAILED, error="boom"
    )
    page = band.client.get(_url(band, "release")).content.decode()
    assert "boom" in page and "Retry" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = band.client.post(
            _url(band, "track_retry", track_id=track.pk), headers={"accept": "application/json"}
        )
    assert response.json()["tracks"][0]["status"] == "pending"
    track.refresh_from_db()
    assert track.status == ProcessingStatus.PENDING and track.attempts == 0 and track.task_id
    assert track.renditions.get().status == ProcessingStatus.PENDING


@pytest.mark.django_db
def test_tracks_reorder_service_refuses_foreign_tracks(band: Band, stranger: Band) -> None:
    t1, _t2 = _tracks(band, 2)
    (foreign,) = _tracks(stranger, 1)
    with pytest.raises(ValueError):
        editing_services.tracks_reorder(release=band.release, track_ids=[t1.pk, foreign.pk])
    assert _order(band) == ["T1", "T2"]
