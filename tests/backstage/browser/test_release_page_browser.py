"""The release page in a real browser: chunked uploads, refusals, keyboard reordering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from disquaire.audio import synth_track
from disquaire.catalog.models import Membership, Release, Track
from tests.factories import (
    ArtistFactory,
    MembershipFactory,
    ReleaseFactory,
    TrackFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _signed_in(page: Any, live_server: Any) -> Release:
    user = UserFactory(username="band@example.org", email="band@example.org")
    artist = ArtistFactory(slug="bijoux")
    MembershipFactory(artist=artist, user=user, role=Membership.Role.OWNER)
    release = ReleaseFactory(artist=artist, visibility=Release.Visibility.DRAFT)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return release


def test_dropped_files_upload_in_chunks_and_refusals_are_said_per_file(
    page: Any, live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.BACKSTAGE_UPLOAD_CHUNK_BYTES = 16 * 1024  # several chunks per file
    release = _signed_in(page, live_server)
    flac = tmp_path / "01 Sous la pluie.flac"
    synth_track(path=flac, seconds=1.5, seed=1)
    pdf = tmp_path / "notes.pdf"
    pdf.write_bytes(b"%PDF-1.4 nothing")
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(f"{m.text} {m.location}")
            if m.type == "error" and "favicon" not in m.location["url"]
            else None
        ),
    )

    url = reverse("backstage:release", kwargs={"artist": "bijoux", "release_id": release.pk})
    page.goto(live_server.url + url)
    page.wait_for_selector("[data-upload][data-ready]", state="attached")
    page.set_input_files("[data-upload-input]", [str(pdf), str(flac)])
    page.wait_for_selector("[data-track]")  # the finished upload joins the tracklist
    refused = page.locator(".bs-upload-item", has_text="notes.pdf")
    assert refused.get_attribute("data-state") == "failed"
    assert "not an audio file" in (refused.text_content() or "")
    page.wait_for_selector(".bs-upload-item[data-state=done]")
    track = Track.objects.get(release=release)
    assert track.title == "Sous la pluie" and track.master_bytes == flac.stat().st_size
    assert not errors, errors  # no CSP violation, no script error


def test_tracks_move_with_the_keyboard(page: Any, live_server: Any) -> None:
    release = _signed_in(page, live_server)
    first = TrackFactory(release=release, position=1, title="Un")
    TrackFactory(release=release, position=2, title="Deux")
    url = reverse("backstage:release", kwargs={"artist": "bijoux", "release_id": release.pk})
    page.goto(live_server.url + url)
    down = page.locator(f"#track-{first.pk} button[value=down]")
    down.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('[data-tracklist] [data-track]:last-child')"
        f".dataset.track === '{first.pk}'"
    )
    first.refresh_from_db()
    assert first.position == 2
    summary = page.locator("[data-status-summary]").text_content() or ""
    assert summary.endswith("2")
    assert page.evaluate("document.activeElement.value") == "down"  # focus stays put


def test_theme_preview_follows_the_colour_inputs(page: Any, live_server: Any) -> None:
    release = _signed_in(page, live_server)
    page.goto(live_server.url + reverse("backstage:artist_edit", kwargs={"artist": "bijoux"}))
    page.fill("input[name=theme_background]", "#ffffff")
    page.fill("input[name=theme_text]", "#eeeeee")
    page.wait_for_selector("[data-nudged=fg]")
    fg = page.evaluate(
        "getComputedStyle(document.querySelector('[data-theme-pane]')).getPropertyValue('--fg')"
    )
    assert fg.strip() not in ("", "#eeeeee")
    assert release.artist.slug == "bijoux"
