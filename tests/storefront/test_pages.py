"""The public pages: who sees what, what the head says, what the caches are told."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from disquaire.catalog.models import Release
from disquaire.core.colour import contrast_ratio
from tests.factories import ArtistFactory, ReleaseFactory, TrackFactory
from tests.storefront.factories import (
    ConcertFactory,
    NewsPostFactory,
    RenditionFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


def _release_with_tracks(**fields: Any) -> Release:
    release = ReleaseFactory(**fields)
    TrackFactory(release=release, position=1, title="Opening", slug="opening", duration_ms=185_000)
    TrackFactory(release=release, position=2, title="Closing", slug="closing", duration_ms=61_000)
    return release


def _track_url(release: Release, position: int, slug: str) -> str:
    return reverse(
        "storefront:track",
        kwargs={
            "artist": release.artist.slug,
            "release": release.slug,
            "position": position,
            "track": slug,
        },
    )


def _ld(html: str) -> list[dict[str, Any]]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def test_every_public_page_answers(client: Client) -> None:
    release = _release_with_tracks()
    tag = TagFactory(slug="swing", name="swing")
    release.tags.add(tag)
    urls = [
        reverse("storefront:home"),
        release.artist.get_absolute_url(),
        release.get_absolute_url(),
        _track_url(release, 1, "opening"),
        reverse("storefront:tag", kwargs={"slug": "swing"}),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b'name="robots"' not in response.content


def test_draft_release_and_its_tracks_are_not_found_even_with_the_token(client: Client) -> None:
    release = _release_with_tracks(visibility=Release.Visibility.DRAFT)
    token = release.preview_token
    assert client.get(release.get_absolute_url()).status_code == 404
    assert client.get(f"{release.get_absolute_url()}?preview={token}").status_code == 404
    assert client.get(_track_url(release, 1, "opening") + f"?preview={token}").status_code == 404


def test_scheduled_release_is_public_once_its_time_has_come(client: Client) -> None:
    future = _release_with_tracks(
        visibility=Release.Visibility.SCHEDULED, publish_at=timezone.now() + dt.timedelta(days=1)
    )
    past = _release_with_tracks(
        visibility=Release.Visibility.SCHEDULED, publish_at=timezone.now() - dt.timedelta(days=1)
    )
    assert client.get(future.get_absolute_url()).status_code == 404
    assert client.get(past.get_absolute_url()).status_code == 200


def test_unlisted_release_needs_its_preview_token_and_is_not_indexed(client: Client) -> None:
    release = _release_with_tracks(visibility=Release.Visibility.UNLISTED)
    assert client.get(release.get_absolute_url()).status_code == 404
    assert client.get(f"{release.get_absolute_url()}?preview=wrong").status_code == 404

    response = client.get(f"{release.get_absolute_url()}?preview={release.preview_token}")
    assert response.status_code == 200
    assert b'<meta name="robots" content="noindex">' in response.content
    assert "no-store" in response["Cache-Control"]
    track = client.get(_track_url(release, 1, "opening") + f"?preview={release.preview_token}")
    assert track.status_code == 200
    assert b'<meta name="robots" content="noindex">' in track.content


def test_unlisted_release_stays_off_the_lists(client: Client) -> None:
    hidden = _release_with_tracks(visibility=Release.Visibility.UNLISTED, title="Secret Tape")
    ReleaseFactory(artist=hidden.artist, title="Known Record")
    for url in (reverse("storefront:home"), hidden.artist.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "Known Record" in html
        assert "Secret Tape" not in html


def test_release_page_has_the_aligned_tracklist_player_hooks_and_buy_box(client: Client) -> None:
    release = _release_with_tracks(description="Recorded in a barn.", credits="Drums: Jo")
    first = release.tracks.get(position=1)
    first.lyrics = "La la la"
    first.save()
    for track in release.tracks.all():
        RenditionFactory(track=track, format="flac")
        RenditionFactory(track=track, format="mp3-320")
        RenditionFactory(track=track, format="opus-96")  # streaming only: not offered
    html = client.get(release.get_absolute_url()).content.decode()

    assert f'data-release="{release.pk}"' in html
    assert html.count('class="player" data-player') == 1
    assert f'<tr data-track="{first.pk}">' in html
    assert f'data-play="{first.pk}" aria-label="Play Opening"' in html
    assert '<td class="num">1</td>' in html
    assert '<time datetime="PT3M5S">3:05</time>' in html
    assert "<details" in html and "La la la" in html
    assert re.search(r'<aside class="buy" aria-labelledby="buy-title">', html)
    assert "Not for sale yet" in html
    formats = re.search(r'<ul class="formats">(.*?)</ul>', html, re.S)
    assert formats is not None
    assert "FLAC" in formats.group(1) and "MP3 320 kbps" in formats.group(1)
    assert "Opus 96" not in formats.group(1)


def test_release_page_describes_a_music_album_with_iso_durations(client: Client) -> None:
    release = _release_with_tracks(title="Tide </script><b>")
    html = client.get(release.get_absolute_url()).content.decode()
    assert "</script><b>" not in html
    (album,) = _ld(html)
    assert album["@type"] == "MusicAlbum"
    assert album["name"] == "Tide </script><b>"
    assert [t["@type"] for t in album["track"]] == ["MusicRecording", "MusicRecording"]
    assert [t["duration"] for t in album["track"]] == ["PT3M5S", "PT1M1S"]
    assert '<link rel="canonical" href="http://testserver' in html
    assert 'property="og:type" content="music.album"' in html
    assert 'name="twitter:card"' in html


def test_track_page_describes_a_music_recording(client: Client) -> None:
    release = _release_with_tracks()
    html = client.get(_track_url(release, 2, "closing")).content.decode()
    (recording,) = _ld(html)
    assert recording["@type"] == "MusicRecording"
    assert recording["duration"] == "PT1M1S"
    assert recording["inAlbum"]["name"] == release.title
    assert html.count('class="player" data-player') == 1


def test_track_page_with_the_wrong_slug_is_not_found(client: Client) -> None:
    release = _release_with_tracks()
    assert client.get(_track_url(release, 2, "opening")).status_code == 404


def test_artist_page_shows_concerts_news_and_describes_group_and_events(client: Client) -> None:
    artist = ArtistFactory(
        bio="First line <b>.\n\nSecond paragraph.",
        links=[
            {"label": "Site", "url": "https://example.org"},
            {"label": "Bad", "url": "javascript:alert(1)"},
        ],
    )
    ReleaseFactory(artist=artist, title="Newest", release_date=dt.date(2026, 1, 1))
    ReleaseFactory(artist=artist, title="Older", release_date=dt.date(2020, 1, 1))
    ConcertFactory(artist=artist, venue="Le Ferrailleur")
    ConcertFactory(
        artist=artist, venue="Old Hall", starts_at=timezone.now() - dt.timedelta(days=90)
    )
    NewsPostFactory(
        artist=artist, title="Tour", body="Line *one*\n\nLine <two><script>alert(1)</script>"
    )
    NewsPostFactory(
        artist=artist, title="Not yet", published_at=timezone.now() + dt.timedelta(days=2)
    )
    html = client.get(artist.get_absolute_url()).content.decode()

    assert "<p>First line &lt;b&gt;.</p>" in html
    # News is Markdown, sanitised: formatting stays, raw HTML and scripts never arrive.
    assert "<p>Line <em>one</em></p>" in html
    assert "<two>" not in html and "alert(1)" not in html
    assert html.index("Newest") < html.index("Older")
    assert "Le Ferrailleur" in html and "Old Hall" in html
    assert "Tour" in html and "Not yet" not in html
    assert 'href="https://example.org"' in html and "javascript:" not in html
    kinds = [block["@type"] for block in _ld(html)]
    assert kinds == ["MusicGroup", "MusicEvent"]
    feeds = re.findall(r'<link rel="alternate" type="application/atom\+xml"[^>]*>', html)
    assert feeds and f"/{artist.slug}/feed.atom" in feeds[0]


def test_artist_theme_stylesheet_is_cacheable_and_readable(client: Client) -> None:
    artist = ArtistFactory(theme_background="#ffffff", theme_text="#dddddd", theme_accent="#ffee00")
    response = client.get(reverse("storefront:artist_theme", kwargs={"artist": artist.slug}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert response["Cache-Control"] == "public, max-age=300"
    found = dict(re.findall(r"--([a-z-]+):(#[0-9a-f]{6})", response.content.decode()))
    assert found["bg"] == "#ffffff"
    assert contrast_ratio(found["fg"], found["bg"]) >= 4.5
    assert contrast_ratio(found["accent"], found["bg"]) >= 4.5
    assert contrast_ratio(found["accent-fg"], found["accent"]) >= 4.5


def test_public_pages_have_no_inline_style_or_script(client: Client) -> None:
    release = _release_with_tracks()
    ConcertFactory(artist=release.artist)
    for url in (release.get_absolute_url(), release.artist.get_absolute_url(), "/"):
        html = client.get(url).content.decode()
        # ' style="': an attribute; the embed code shown as text is escaped (style=&quot;).
        assert ' style="' not in html and "<style" not in html
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        for attrs, body in scripts:
            # Data for search engines, or code from a file: never inline code.
            assert 'type="application/ld+json"' in attrs or (" src=" in attrs and not body)


def test_anonymous_public_pages_set_no_cookie_and_hold_no_csrf_token(client: Client) -> None:
    release = _release_with_tracks()
    for url in (release.get_absolute_url(), release.artist.get_absolute_url(), "/"):
        response = client.get(url)
        assert "Set-Cookie" not in response.headers
        assert not response.cookies
        assert b"csrfmiddlewaretoken" not in response.content
        assert b"csrftoken" not in response.content


def test_public_pages_are_cacheable_per_language(client: Client) -> None:
    release = _release_with_tracks()
    response = client.get(release.get_absolute_url())
    assert response["Cache-Control"] == "public, max-age=60"
    vary = {v.strip().lower() for v in response["Vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary


def test_language_switch_sets_the_cookie_and_the_page_speaks_french(client: Client) -> None:
    release = _release_with_tracks()
    url = release.get_absolute_url()
    english = client.get(url).content.decode()
    assert 'lang="en"' in english and "Not for sale yet" in english
    switch = reverse("storefront:language_switch", kwargs={"lang": "fr"})
    assert f'href="{switch}?next={url}"' in english

    response = client.get(f"{switch}?next={url}")
    assert response.status_code == 302
    assert response["Location"] == url
    assert response.cookies["django_language"].value == "fr"
    french = client.get(url).content.decode()
    assert '<html lang="fr">' in french
    assert "Pas encore en vente" in french


def test_language_switch_refuses_to_send_visitors_off_site(client: Client) -> None:
    switch = reverse("storefront:language_switch", kwargs={"lang": "fr"})
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.get(f"{switch}?next={target}")
        assert response.status_code == 302
        assert response["Location"] == "/"


def test_language_switch_refuses_unknown_languages(client: Client) -> None:
    response = client.get(reverse("storefront:language_switch", kwargs={"lang": "xx"}))
    assert response.status_code == 404


def test_accept_language_picks_french(client: Client) -> None:
    release = _release_with_tracks()
    html = client.get(release.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Pas encore en vente" in html


def test_tag_page_lists_only_public_releases(client: Client) -> None:
    tag = TagFactory(slug="jazz", name="jazz")
    shown = ReleaseFactory(title="Shown Record")
    hidden = ReleaseFactory(title="Hidden Record", visibility=Release.Visibility.UNLISTED)
    shown.tags.add(tag)
    hidden.tags.add(tag)
    html = client.get(reverse("storefront:tag", kwargs={"slug": "jazz"})).content.decode()
    assert "Shown Record" in html and "Hidden Record" not in html
    assert client.get(reverse("storefront:tag", kwargs={"slug": "nope"})).status_code == 404


def test_unknown_artist_is_not_found(client: Client) -> None:
    assert client.get("/nobody-here/").status_code == 404


def test_language_switch_on_a_preview_keeps_the_preview_token(client: Client) -> None:
    release = _release_with_tracks(visibility=Release.Visibility.UNLISTED)
    url = f"{release.get_absolute_url()}?preview={release.preview_token}"
    html = client.get(url).content.decode()
    match = re.search(r'href="(/i18n/switch/fr/\?next=[^"]+)"', html)
    assert match is not None
    response = client.get(match.group(1).replace("&amp;", "&"))
    assert response["Location"] == url


def _header(html: str) -> str:
    match = re.search(r'<header class="site-header">.*?</header>', html, re.S)
    assert match
    return match.group(0)


def test_header_links_to_the_library_on_artist_and_release_pages(client: Client) -> None:
    release = _release_with_tracks()
    for url in (release.artist.get_absolute_url(), release.get_absolute_url()):
        header = _header(client.get(url).content.decode())
        assert f'<a class="library-link" href="{reverse("fans:library")}">Your library</a>' in (
            header
        )
    french = client.get(release.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert ">Votre bibliothèque</a>" in _header(french)


def test_header_is_the_same_for_a_signed_in_fan_as_for_anyone(client: Client) -> None:
    """The header is part of pages cached for every anonymous visitor: it must not say
    who is signed in, or a fan's state would be served to everyone."""
    release = _release_with_tracks()
    anonymous = _header(client.get(release.get_absolute_url()).content.decode())
    fan = Client()
    session = fan.session
    session["fan_id"], session["fan_email"] = 1, "fan@example.org"
    session.save()
    assert _header(fan.get(release.get_absolute_url()).content.decode()) == anonymous
    assert "fan@example.org" not in anonymous


def test_concerts_show_the_country_name_in_the_visitors_language(client: Client) -> None:
    artist = ArtistFactory()
    for days, city, country in (
        (10, "Nantes", "FR"),
        (20, "Leeds", "GB"),
        (30, "Saint-Denis", "RE"),
    ):
        ConcertFactory(
            artist=artist, city=city, country=country,
            starts_at=timezone.now() + dt.timedelta(days=days),
        )  # fmt: skip
    english = client.get(artist.get_absolute_url()).content.decode()
    assert "Nantes, France<" in english
    assert "Leeds, United Kingdom<" in english
    assert "Saint-Denis, Réunion<" in english
    # Search engines get the code, as schema.org asks.
    countries = [b["location"]["address"]["addressCountry"] for b in _ld(english)[1:]]
    assert countries == ["FR", "GB", "RE"]

    french = client.get(artist.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Nantes, France<" in french
    assert "Leeds, Royaume-Uni<" in french
    assert "Saint-Denis, La Réunion<" in french
