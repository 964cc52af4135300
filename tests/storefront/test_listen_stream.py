"""The stream endpoint: signed URLs, HTTP Range, refusals; the player's JSON; previews."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from disquaire.catalog.models import Release, Track
from disquaire.core import signing
from disquaire.core.signing import token_make
from disquaire.storefront.listening import access as listen_access
from disquaire.storefront.listening import streams as listen_streams
from tests.storefront.listen_fixtures import first_track, processed_release

pytestmark = pytest.mark.django_db


def _data(client: Client, release: Release, **params: str) -> Any:
    response = client.get(reverse("storefront:listen_data", args=[release.pk]), params)
    assert response.status_code == 200, response.content
    return response.json()


def _token(track: Track, key: str, mode: str = "full", **extra: Any) -> str:
    payload = {"t": track.pk, "f": key, "m": mode, **extra}
    return token_make(purpose="stream", payload=payload, ttl_seconds=600)


def _stream_path(token: str) -> str:
    return reverse("storefront:stream", kwargs={"token": token})


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_player_data_lists_signed_streams_and_is_never_cached(tmp_path: Path) -> None:
    release = processed_release(tmp_path)
    client = Client()

    response = client.get(reverse("storefront:listen_data", args=[release.pk]))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "dq_listener" not in response.cookies  # only "limited" releases count plays
    data = response.json()
    assert data["policy"] == "full" and data["plays_left"] is None
    (track,) = data["tracks"]
    assert track["title"] == "Song 1" and track["mode"] == "full"
    assert track["duration"] == pytest.approx(2.0, abs=0.1)
    assert 0 < len(track["peaks"]) <= listen_streams.PEAKS_POINTS
    assert [s["type"] for s in track["sources"]] == ["audio/ogg; codecs=opus", "audio/mpeg"]
    assert all(s["src"].startswith("/stream/") for s in track["sources"])


def test_stream_answers_ranges_byte_exact(tmp_path: Path) -> None:
    release = processed_release(tmp_path)
    track = first_track(release)
    src = _data(Client(), release)["tracks"][0]["sources"][-1]["src"]
    rendition = track.renditions.get(format="mp3-128")
    with default_storage.open(rendition.file.name, "rb") as handle:
        original = handle.read()
    client = Client()

    whole = client.get(src)
    part = client.get(src, HTTP_RANGE="bytes=100-1099")
    tail = client.get(src, HTTP_RANGE="bytes=-500")
    past = client.get(src, HTTP_RANGE=f"bytes={len(original)}-")

    assert whole.status_code == 200 and whole["Content-Type"] == "audio/mpeg"
    assert whole["Accept-Ranges"] == "bytes"
    assert _body(whole) == original
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-1099/{len(original)}"
    assert part["Content-Length"] == "1000"
    assert _body(part) == original[100:1100]
    assert tail.status_code == 206 and _body(tail) == original[-500:]
    assert past.status_code == 416
    assert whole["Cache-Control"].startswith("private")


def test_stream_answers_head_without_a_body(tmp_path: Path) -> None:
    release = processed_release(tmp_path)
    track = first_track(release)
    src = _data(Client(), release)["tracks"][0]["sources"][-1]["src"]

    response = Client().head(src)

    assert response.status_code == 200
    assert response["Content-Length"] == str(track.renditions.get(format="mp3-128").bytes)
    assert response.content == b""


def test_opus_stream_is_served_as_ogg(tmp_path: Path) -> None:
    release = processed_release(tmp_path)
    src = _data(Client(), release)["tracks"][0]["sources"][0]["src"]

    response = Client().get(src, HTTP_RANGE="bytes=0-3")

    assert response.status_code == 206
    assert response["Content-Type"] == "audio/ogg"
    assert _body(response) == b"OggS"


@pytest.mark.parametrize("key", ["mp3-320", "flac", "original", "master", "../../secret"])
def test_token_naming_a_download_format_or_the_master_is_refused(tmp_path: Path, key: str) -> None:
    track = first_track(processed_release(tmp_path))

    response = Client().get(_stream_path(_token(track, key)))

    assert response.status_code == 403


def test_lossy_master_under_128_kbps_streams_its_original_and_only_that(tmp_path: Path) -> None:
    release = processed_release(
        tmp_path, suffix=".mp3", codec_args=["-c:a", "libmp3lame", "-b:a", "96k"], formats=None
    )
    track = first_track(release)
    (entry,) = _data(Client(), release)["tracks"]
    client = Client()

    assert [s["type"] for s in entry["sources"]] == ["audio/ogg; codecs=opus", "audio/mpeg"]
    original = client.get(entry["sources"][-1]["src"], HTTP_RANGE="bytes=0-9")
    assert original.status_code == 206
    with default_storage.open(track.master.name, "rb") as handle:
        assert _body(original) == handle.read(10)
    assert client.get(_stream_path(_token(track, "mp3-128"))).status_code == 403


def test_tampered_or_foreign_token_is_forbidden(tmp_path: Path) -> None:
    track = first_track(processed_release(tmp_path))
    token = _token(track, "mp3-128")
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    foreign = token_make(
        purpose="download", payload={"t": track.pk, "f": "mp3-128", "m": "full"}, ttl_seconds=60
    )
    client = Client()

    assert client.get(_stream_path(token)).status_code == 200
    assert client.get(_stream_path(tampered)).status_code == 403
    assert client.get(_stream_path(foreign)).status_code == 403
    assert client.get(_stream_path("nonsense")).status_code == 403


def test_expired_stream_url_is_gone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release = processed_release(tmp_path)
    src = _data(Client(), release)["tracks"][0]["sources"][0]["src"]
    now = signing._now()
    monkeypatch.setattr(signing, "_now", lambda: now + listen_streams._stream_ttl() + 1)

    response = Client().get(src)

    assert response.status_code == 410
    assert response["Cache-Control"] == "private, no-store"


def test_draft_release_cannot_be_heard_even_with_its_preview_token(tmp_path: Path) -> None:
    release = processed_release(tmp_path, visibility=Release.Visibility.DRAFT)
    track = first_track(release)
    client = Client()
    digest = listen_access.release_preview_digest(release=release)

    url = reverse("storefront:listen_data", args=[release.pk])
    assert client.get(url).status_code == 404
    assert client.get(url, {"preview": release.preview_token}).status_code == 404
    assert client.get(_stream_path(_token(track, "mp3-128"))).status_code == 404
    assert client.get(_stream_path(_token(track, "mp3-128", p=digest))).status_code == 404
    free = reverse("storefront:stream_public", args=[track.pk])
    assert client.get(free).status_code == 404


def test_unlisted_release_plays_through_its_preview_link_until_revoked(tmp_path: Path) -> None:
    release = processed_release(tmp_path, visibility=Release.Visibility.UNLISTED)
    track = first_track(release)
    client = Client()
    url = reverse("storefront:listen_data", args=[release.pk])
    old_preview = release.preview_token

    assert client.get(url).status_code == 404
    # A URL minted without the preview link does not open an unlisted release.
    assert client.get(_stream_path(_token(track, "mp3-128"))).status_code == 404
    entry = _data(client, release, preview=old_preview)["tracks"][0]
    assert entry["mode"] == "full"
    src = entry["sources"][-1]["src"]
    assert client.get(src).status_code == 200

    new_url = listen_access.release_preview_link_revoke(release=release)

    release.refresh_from_db()
    assert release.preview_token != old_preview
    assert new_url.endswith(f"?preview={release.preview_token}")
    assert client.get(url, {"preview": old_preview}).status_code == 404
    assert client.get(src).status_code == 404  # URLs minted through the old link die too
    assert _data(client, release, preview=release.preview_token)["tracks"][0]["sources"]


def test_preview_url_is_the_release_page_with_its_token(tmp_path: Path) -> None:
    release = processed_release(tmp_path, visibility=Release.Visibility.UNLISTED)

    url = listen_access.release_preview_url(release=release)

    assert url == (f"http://testserver{release.get_absolute_url()}?preview={release.preview_token}")


def test_no_javascript_fallback_redirects_to_a_fresh_signed_stream(tmp_path: Path) -> None:
    track = first_track(processed_release(tmp_path))
    client = Client()

    response = client.get(reverse("storefront:stream_public", args=[track.pk]))

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    assert response["Location"].startswith("/stream/")
    followed = client.get(response["Location"], HTTP_RANGE="bytes=0-1")
    assert followed.status_code == 206 and followed["Content-Type"] == "audio/mpeg"


def test_free_download_serves_only_free_tracks_of_public_releases(tmp_path: Path) -> None:
    release = processed_release(tmp_path)
    track = first_track(release)
    url = reverse("storefront:free_download", args=[track.pk])
    client = Client()

    assert client.get(url).status_code == 404  # not free

    Track.objects.filter(pk=track.pk).update(is_free=True)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg"
    assert response["Content-Disposition"] == 'attachment; filename="01 - Song 1.mp3"'
    mp3 = track.renditions.get(format="mp3-320")
    with default_storage.open(mp3.file.name, "rb") as handle:
        assert _body(response) == handle.read()

    Release.objects.filter(pk=release.pk).update(visibility=Release.Visibility.UNLISTED)
    assert client.get(url).status_code == 404


def test_free_download_falls_back_to_another_ready_download(tmp_path: Path) -> None:
    release = processed_release(tmp_path, formats=frozenset({"mp3-128", "opus-96", "flac"}))
    track = first_track(release)
    Track.objects.filter(pk=track.pk).update(is_free=True)

    response = Client().get(reverse("storefront:free_download", args=[track.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "audio/flac"
    assert "01 - Song 1.flac" in response["Content-Disposition"]


def test_peaks_are_folded_to_a_few_hundred_points_keeping_the_loudest() -> None:
    peaks = [0.1] * 1000
    peaks[537] = 0.9

    folded = listen_streams._peaks(peaks)

    assert len(folded) == listen_streams.PEAKS_POINTS
    assert max(folded) == 0.9
    assert listen_streams._peaks(None) == []
    assert listen_streams._peaks([0.5, 0.25]) == [0.5, 0.25]
