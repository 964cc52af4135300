"""Listening policies: server-cut clips, limited full plays, the buying hook."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from disquaire.audio import verify_decodes
from disquaire.catalog.models import PreviewPolicy, ProcessingStatus, Release
from disquaire.core.signing import token_make
from disquaire.storefront import clips
from disquaire.storefront.listening import access as listen_access
from disquaire.storefront.models import Clip, PlayCount
from tests.factories import ReleaseFactory, UserFactory
from tests.storefront.listen_fixtures import first_track, processed_release

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Track ids whose clip task was queued (the queue itself is not run)."""
    calls: list[int] = []
    monkeypatch.setattr(clips, "_clips_enqueue", lambda *, track_id: calls.append(track_id))
    return calls


def _data(client: Client, release: Release) -> Any:
    response = client.get(reverse("storefront:listen_data", args=[release.pk]))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "private, no-store"
    return response.json()


def _claim(client: Client, url: str) -> Any:
    response = client.post(url)
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "private, no-store"
    return response.json()


def _decoded_seconds(client: Client, src: str, suffix: str) -> float:
    response = client.get(src)
    assert response.status_code == 200
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        handle.write(b"".join(response.streaming_content))
        handle.flush()
        return verify_decodes(Path(handle.name), expected_s=0)


def test_clips_release_queues_its_clips_on_commit(
    tmp_path: Path, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    release = processed_release(tmp_path)
    track = first_track(release)

    with django_capture_on_commit_callbacks(execute=True):
        release.preview_policy = PreviewPolicy.CLIPS
        release.preview_clip_seconds = 1
        release.save()

    assert enqueued == [track.pk]
    clips = Clip.objects.filter(track=track)
    assert {c.format for c in clips} == {"mp3-128", "opus-96"}
    assert {(c.seconds, c.status) for c in clips} == {(1, ProcessingStatus.PENDING)}


def test_clips_hold_no_more_than_the_clip_length_and_are_the_only_stream(
    tmp_path: Path, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    release = processed_release(
        tmp_path, seconds=3.0, preview_policy=PreviewPolicy.CLIPS, preview_clip_seconds=1
    )
    track = first_track(release)
    client = Client()

    with django_capture_on_commit_callbacks(execute=True):
        pending = _data(client, release)["tracks"][0]
    assert pending["mode"] == "clip" and pending["pending"] and pending["sources"] == []
    assert enqueued == [track.pk]  # asked for by the visitor, since no signal said so

    assert clips.clips_make(track_id=track.pk) == 2
    assert clips.clips_make(track_id=track.pk) == 0  # idempotent

    entry = _data(client, release)["tracks"][0]
    assert entry["mode"] == "clip" and entry["clip_seconds"] == 1 and not entry["pending"]
    opus, mp3 = entry["sources"]
    assert mp3["type"] == "audio/mpeg" and opus["type"] == "audio/ogg; codecs=opus"
    assert 0.8 <= _decoded_seconds(client, mp3["src"], ".mp3") <= 1.1
    assert 0.8 <= _decoded_seconds(client, opus["src"], ".opus") <= 1.1
    # The full rendition is not reachable for this release, even with a forged mode.
    full = token_make(
        purpose="stream", payload={"t": track.pk, "f": "mp3-128", "m": "full"}, ttl_seconds=60
    )
    assert client.get(reverse("storefront:stream", args=[full])).status_code == 403


def test_clips_of_a_low_bitrate_lossy_master_cut_its_original(
    tmp_path: Path, enqueued: list[int]
) -> None:
    release = processed_release(
        tmp_path,
        seconds=3.0,
        suffix=".mp3",
        codec_args=["-c:a", "libmp3lame", "-b:a", "96k"],
        formats=None,
        preview_policy=PreviewPolicy.CLIPS,
        preview_clip_seconds=1,
    )
    track = first_track(release)
    clips.clips_request(track=track)

    assert clips.clips_make(track_id=track.pk) == 2

    assert {c.format for c in Clip.objects.filter(track=track)} == {"original", "opus-96"}
    client = Client()
    opus, original = _data(client, release)["tracks"][0]["sources"]
    assert original["type"] == "audio/mpeg"
    assert 0.8 <= _decoded_seconds(client, original["src"], ".mp3") <= 1.1
    assert 0.8 <= _decoded_seconds(client, opus["src"], ".opus") <= 1.1


def test_clips_are_cut_again_when_their_length_changes(
    tmp_path: Path, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    release = processed_release(
        tmp_path, seconds=3.0, preview_policy=PreviewPolicy.CLIPS, preview_clip_seconds=1
    )
    track = first_track(release)
    clips.clips_request(track=track)
    clips.clips_make(track_id=track.pk)
    old_files = list(Clip.objects.filter(track=track).values_list("file", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        release.preview_clip_seconds = 2
        release.save()

    assert set(Clip.objects.filter(track=track).values_list("seconds", "status")) == {
        (2, ProcessingStatus.PENDING)
    }
    client = Client()
    # While the clips are cut again, the player is told to wait.
    assert _data(client, release)["tracks"][0]["pending"]
    assert clips.clips_make(track_id=track.pk) == 2
    mp3 = _data(client, release)["tracks"][0]["sources"][-1]
    assert 1.5 <= _decoded_seconds(client, mp3["src"], ".mp3") <= 2.1
    assert not any(default_storage.exists(name) for name in old_files)


def test_shorter_clip_length_never_serves_the_longer_old_clip(
    tmp_path: Path, enqueued: list[int]
) -> None:
    release = processed_release(
        tmp_path, seconds=3.0, preview_policy=PreviewPolicy.CLIPS, preview_clip_seconds=2
    )
    track = first_track(release)
    clips.clips_request(track=track)
    clips.clips_make(track_id=track.pk)
    src = _data(Client(), release)["tracks"][0]["sources"][-1]["src"]

    Release.objects.filter(pk=release.pk).update(preview_clip_seconds=1)

    assert Client().get(src).status_code == 404


def test_deleting_a_track_deletes_its_clip_files(
    tmp_path: Path, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    release = processed_release(tmp_path, preview_policy=PreviewPolicy.CLIPS)
    track = first_track(release)
    clips.clips_request(track=track)
    clips.clips_make(track_id=track.pk)
    names = [c.file.name for c in Clip.objects.filter(track=track)]
    assert names and all(default_storage.exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=True):
        track.delete()

    assert not any(default_storage.exists(name) for name in names)


def test_failed_clip_records_a_readable_error(tmp_path: Path, enqueued: list[int]) -> None:
    release = processed_release(tmp_path, preview_policy=PreviewPolicy.CLIPS)
    track = first_track(release)
    clips.clips_request(track=track)
    mp3 = track.renditions.get(format="mp3-128")
    default_storage.delete(mp3.file.name)

    clips.clips_make(track_id=track.pk)

    failed = Clip.objects.get(track=track, format="mp3-128")
    assert failed.status == ProcessingStatus.FAILED and failed.error
    assert Clip.objects.get(track=track, format="opus-96").status == ProcessingStatus.READY


def test_periodic_job_queues_clips_for_tracks_that_became_ready(
    tmp_path: Path, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    release = processed_release(tmp_path, preview_policy=PreviewPolicy.LIMITED)
    track = first_track(release)
    Clip.objects.filter(track=track).delete()
    enqueued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert clips.clips_enqueue_missing() == 1
        assert clips.clips_enqueue_missing() == 0  # pending and fresh: already queued

    assert enqueued == [track.pk]


def test_full_policy_plays_clips_until_release_day(tmp_path: Path, enqueued: list[int]) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    release = processed_release(tmp_path, release_date=tomorrow, preview_clip_seconds=1)

    assert _data(Client(), release)["tracks"][0]["mode"] == "clip"

    Release.objects.filter(pk=release.pk).update(release_date=timezone.localdate())
    assert _data(Client(), release)["tracks"][0]["mode"] == "full"


def test_limited_release_gives_n_full_plays_then_clips(tmp_path: Path, enqueued: list[int]) -> None:
    release = processed_release(
        tmp_path,
        seconds=3.0,
        tracks=2,
        preview_policy=PreviewPolicy.LIMITED,
        preview_full_plays=2,
        preview_clip_seconds=1,
    )
    for track in release.tracks.all():
        clips.clips_request(track=track)
        clips.clips_make(track_id=track.pk)
    client = Client()

    first = client.get(reverse("storefront:listen_data", args=[release.pk]))
    cookie = first.cookies["dq_listener"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    data = first.json()
    assert data["plays_left"] == 2 and data["full_plays"] == 2
    # Looking at the page uses no play: full URLs are only minted when a track starts.
    assert all(t["sources"] == [] and t["claim"] for t in data["tracks"])
    assert _data(client, release)["plays_left"] == 2

    one = _claim(client, data["tracks"][0]["claim"])
    two = _claim(client, data["tracks"][1]["claim"])
    three = _claim(client, data["tracks"][0]["claim"])

    assert (one["plays_left"], one["track"]["mode"]) == (1, "full")
    assert (two["plays_left"], two["track"]["mode"]) == (0, "full")
    assert client.get(two["track"]["sources"][-1]["src"]).status_code == 200
    assert (three["plays_left"], three["track"]["mode"]) == (0, "clip")
    assert three["track"]["clip_seconds"] == 1 and three["track"]["sources"]
    after = _data(client, release)
    assert after["plays_left"] == 0
    assert all(t["mode"] == "clip" and t["sources"] and not t["claim"] for t in after["tracks"])
    # Another device starts afresh.
    assert _data(Client(), release)["plays_left"] == 2


def test_limited_plays_follow_the_fan_account_not_the_device(
    tmp_path: Path, enqueued: list[int], settings: Any
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # quick
    release = processed_release(
        tmp_path, preview_policy=PreviewPolicy.LIMITED, preview_full_plays=1
    )
    fan = UserFactory()
    fan.save()  # the factory sets the password without saving it
    phone, laptop = Client(), Client()
    phone.force_login(fan)
    laptop.force_login(fan)
    claim = _data(phone, release)["tracks"][0]["claim"]

    assert _claim(phone, claim)["plays_left"] == 0

    assert "dq_listener" not in phone.cookies
    assert _data(laptop, release)["plays_left"] == 0
    assert PlayCount.objects.get(release=release).listener_key == f"u:{fan.pk}"


def test_no_javascript_fallback_counts_a_limited_play(tmp_path: Path, enqueued: list[int]) -> None:
    release = processed_release(
        tmp_path, preview_policy=PreviewPolicy.LIMITED, preview_full_plays=1
    )
    track = first_track(release)
    client = Client()
    url = reverse("storefront:stream_public", args=[track.pk])

    first = client.get(url)
    assert first.status_code == 302
    assert first["Location"].startswith("/stream/")
    # No play left and no clip cut yet: "try again shortly", never the full track.
    second = client.get(url)
    assert second.status_code == 503 and second["Retry-After"]
    assert _data(client, release)["plays_left"] == 0


def test_forged_or_foreign_listener_cookie_is_replaced(tmp_path: Path, enqueued: list[int]) -> None:
    release = processed_release(tmp_path, preview_policy=PreviewPolicy.LIMITED)
    client = Client()
    client.cookies["dq_listener"] = "u:1"  # unsigned: someone else's account, say

    response = client.get(reverse("storefront:listen_data", args=[release.pk]))

    assert response.cookies["dq_listener"].value != "u:1"
    assert response.json()["plays_left"] == release.preview_full_plays


def test_play_claim_from_another_site_is_refused(tmp_path: Path, enqueued: list[int]) -> None:
    release = processed_release(tmp_path, preview_policy=PreviewPolicy.LIMITED)
    track = first_track(release)
    url = reverse("storefront:listen_play", args=[release.pk, track.pk])

    response = Client().post(url, HTTP_ORIGIN="https://elsewhere.example")

    assert response.status_code == 403
    assert not PlayCount.objects.exists()


def test_preview_link_visitors_hear_everything_without_counting(
    tmp_path: Path, enqueued: list[int]
) -> None:
    release = processed_release(
        tmp_path, visibility=Release.Visibility.UNLISTED, preview_policy=PreviewPolicy.LIMITED
    )
    url = reverse("storefront:listen_data", args=[release.pk])

    response = Client().get(url, {"preview": release.preview_token})

    assert "dq_listener" not in response.cookies
    data = response.json()
    assert data["plays_left"] is None
    assert data["tracks"][0]["mode"] == "full" and data["tracks"][0]["sources"]


def test_buying_hook_grants_nothing_yet() -> None:
    release = ReleaseFactory(preview_policy=PreviewPolicy.CLIPS)
    request = Client().get("/").wsgi_request

    assert listen_access.listener_has_full_access(release=release, request=request) is False


def test_limited_release_plays_only_clips_until_release_day(
    tmp_path: Path, enqueued: list[int]
) -> None:
    """A fresh cookie gives a fresh allowance: before release day, counting plays per
    device would let anyone hear the whole record early."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    release = processed_release(
        tmp_path,
        release_date=tomorrow,
        preview_policy=PreviewPolicy.LIMITED,
        preview_full_plays=3,
        preview_clip_seconds=1,
    )
    data = _data(Client(), release)
    assert data["plays_left"] is None
    assert all(t["mode"] == "clip" and not t["claim"] for t in data["tracks"])
    track = first_track(release)
    claim = reverse(
        "storefront:listen_play", kwargs={"release_id": release.pk, "track_id": track.pk}
    )
    assert _claim(Client(), claim)["track"]["mode"] == "clip"

    Release.objects.filter(pk=release.pk).update(release_date=timezone.localdate())
    assert _data(Client(), release)["plays_left"] == 3


def test_band_members_hear_their_record_in_full_before_release_day(
    tmp_path: Path, enqueued: list[int]
) -> None:
    from disquaire.catalog.models import Membership

    tomorrow = timezone.localdate() + timedelta(days=1)
    release = processed_release(
        tmp_path, release_date=tomorrow, preview_policy=PreviewPolicy.LIMITED
    )
    member, stranger = UserFactory(), UserFactory()
    Membership.objects.create(artist=release.artist, user=member)
    client = Client()
    client.force_login(member)
    assert _data(client, release)["tracks"][0]["mode"] == "full"
    other = Client()
    other.force_login(stranger)
    assert _data(other, release)["tracks"][0]["mode"] == "clip"
