"""The player include: the same HTML for every visitor, no inline script, a fallback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tests.factories import ReleaseFactory, TrackFactory

pytestmark = pytest.mark.django_db


def _render(**context: object) -> str:
    return render_to_string("storefront/includes/player.html", context)


def test_player_include_points_the_module_at_the_listen_api_without_inline_script() -> None:
    release = ReleaseFactory()
    tracks = [TrackFactory(release=release, position=n) for n in (1, 2)]

    html = _render(release=release, page={"tracks": tracks})

    api = reverse("storefront:listen_data", args=[release.pk])
    assert f'data-api="{api}"' in html
    assert 'aria-live="polite"' in html and 'role="slider"' in html
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script type="module" src="/static/disquaire/js/player.js">']
    assert "/stream/" in html and "token" not in html  # nothing signed in a cached page
    for track in tracks:
        fallback = reverse("storefront:stream_public", args=[track.pk])
        assert f'<audio controls preload="none" src="{fallback}">' in html


def test_player_include_on_a_track_page_and_through_a_preview_link() -> None:
    track = TrackFactory()

    html = _render(release=track.release, track=track, preview_token="abc")

    fallback = reverse("storefront:stream_public", args=[track.pk])
    assert f'src="{fallback}?preview=abc"' in html
    assert 'data-preview="abc"' in html


def test_player_strings_are_translated() -> None:
    release = ReleaseFactory()
    with translation.override("fr"):
        html = _render(release=release, page={"tracks": []})

    labels = dict(re.findall(r'data-label-([a-z-]+)="([^"]*)"', html))
    assert labels["pause"] == "Pause"
    assert labels["playing"].startswith("Lecture")
    assert "{n}" in labels["plays-other"] and "{title}" in labels["play-track"]


def test_player_module_is_a_static_file() -> None:
    found = finders.find("disquaire/js/player.js")
    assert found is not None
    source = Path(str(found)).read_text()
    assert "export function init" in source and "setActionHandler" in source
