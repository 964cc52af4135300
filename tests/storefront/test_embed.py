"""Embeds: the widget pages, their framing, their player data, oEmbed and the Embed box."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from disquaire.catalog.models import PreviewPolicy, Release
from disquaire.storefront import clips
from disquaire.storefront.models import PlayCount
from disquaire.storefront.views import embed
from tests.factories import ReleaseFactory, TrackFactory
from tests.storefront.listen_fixtures import processed_release

pytestmark = pytest.mark.django_db


def _release_embed(release: Release, **query: str) -> Any:
    return Client().get(reverse("storefront:embed_release", args=[release.pk]), query)


def _oembed(**query: str) -> Any:
    return Client().get(reverse("storefront:oembed"), query)


def _page_url(release: Release) -> str:
    return "http://testserver" + release.get_absolute_url()


def test_release_widget_is_frameable_by_any_site_and_has_no_inline_script() -> None:
    release = ReleaseFactory(title="Écoute")
    tracks = [TrackFactory(release=release, position=n) for n in (1, 2)]

    response = _release_embed(release)

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert response["Content-Security-Policy"].endswith("frame-ancestors *")
    assert response["Cache-Control"] == "public, max-age=60"
    body = response.content.decode()
    assert re.findall(r"<script[^>]*>", body) == [
        '<script type="module" src="/static/disquaire/js/player.js">'
    ]
    assert " style=" not in body
    # The player module's contract, and the data of the widget's own endpoint.
    api = reverse("storefront:embed_listen_data", args=[release.pk])
    assert f'data-release="{release.pk}"' in body and f'data-api="{api}"' in body
    for track in tracks:
        assert f'<tr data-track="{track.pk}">' in body and f'data-play="{track.pk}"' in body
    buy = re.search(r'<a class="embed-buy" href="([^"]+)" target="_blank" rel="noopener">', body)
    assert buy and buy.group(1) == release.get_absolute_url() + "#buy-title"


def test_every_other_page_may_only_be_framed_by_the_site_itself() -> None:
    release = ReleaseFactory()

    response = Client().get(release.get_absolute_url())

    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Content-Security-Policy"].endswith("frame-ancestors 'self'")


def test_compact_widget_is_one_line_with_play_progress_and_buy() -> None:
    release = ReleaseFactory()
    track = TrackFactory(release=release, position=1)

    body = _release_embed(release, size="compact").content.decode()

    assert 'class="embed embed-compact"' in body
    assert "<table" not in body
    assert f'data-play="{track.pk}"' in body and 'role="slider"' in body
    assert 'class="embed-buy"' in body
    # Each size is cached apart (the size is in the query string).
    assert 'class="embed embed-large"' in _release_embed(release).content.decode()


def test_track_widget_plays_that_track() -> None:
    release = ReleaseFactory()
    TrackFactory(release=release, position=1)
    second = TrackFactory(release=release, position=2, title="Deuxième")

    response = Client().get(reverse("storefront:embed_track", args=[second.pk]))

    body = response.content.decode()
    assert response.status_code == 200 and "Deuxième" in body
    assert re.search(rf'class="play play-main embed-play" data-play="{second.pk}"', body)
    assert response["Content-Security-Policy"].endswith("frame-ancestors *")


@pytest.mark.parametrize("visibility", [Release.Visibility.DRAFT, Release.Visibility.UNLISTED])
def test_widget_of_a_release_that_is_not_public_is_not_found(visibility: str) -> None:
    release = ReleaseFactory(visibility=visibility)
    track = TrackFactory(release=release)

    assert _release_embed(release).status_code == 404
    assert Client().get(reverse("storefront:embed_track", args=[track.pk])).status_code == 404
    assert _release_embed(release, preview="wrong").status_code == 404


def test_unlisted_widget_opens_with_the_preview_token_and_is_never_cached_publicly() -> None:
    release = ReleaseFactory(visibility=Release.Visibility.UNLISTED)
    TrackFactory(release=release)

    response = _release_embed(release, preview=release.preview_token)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert f'data-preview="{release.preview_token}"' in response.content.decode()
    assert _release_embed(ReleaseFactory(visibility="draft"), preview="x").status_code == 404


def test_widget_strings_are_translated() -> None:
    release = ReleaseFactory()
    TrackFactory(release=release)

    response = Client(headers={"accept-language": "fr"}).get(
        reverse("storefront:embed_release", args=[release.pk])
    )

    body = response.content.decode()
    assert '<html lang="fr">' in body
    assert "Acheter" in body and 'data-label-pause="Pause"' in body


def test_widget_data_of_an_ordinary_release_is_the_listen_data(tmp_path: Path) -> None:
    release = processed_release(tmp_path)
    client = Client()

    widget = client.get(reverse("storefront:embed_listen_data", args=[release.pk]))
    page = client.get(reverse("storefront:listen_data", args=[release.pk]))

    assert widget.status_code == 200 and widget["Cache-Control"] == "private, no-store"
    assert [t["mode"] for t in widget.json()["tracks"]] == ["full"]
    assert widget.json().keys() == page.json().keys()
    assert client.get(widget.json()["tracks"][0]["sources"][-1]["src"]).status_code == 200


def test_widget_of_a_limited_release_plays_clips_and_counts_no_play(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clips, "_clips_enqueue", lambda *, track_id: None)
    release = processed_release(
        tmp_path,
        preview_policy=PreviewPolicy.LIMITED,
        preview_full_plays=1,
        preview_clip_seconds=1,
    )
    for track in release.tracks.all():
        clips.clips_request(track=track)
        clips.clips_make(track_id=track.pk)
    client = Client()

    response = client.get(reverse("storefront:embed_listen_data", args=[release.pk]))

    data = response.json()
    assert response["Cache-Control"] == "private, no-store"
    # No device cookie: in another site's page it would not be kept anyway.
    assert "dq_listener" not in response.cookies
    assert data["plays_left"] is None and data["buy_url"].endswith("#buy-title")
    (entry,) = data["tracks"]
    assert entry["mode"] == "clip" and entry["clip_seconds"] == 1 and not entry["claim"]
    assert client.get(entry["sources"][-1]["src"]).status_code == 200
    assert not PlayCount.objects.exists()
    # The band's preview link still hears everything.
    preview = client.get(
        reverse("storefront:embed_listen_data", args=[release.pk]),
        {"preview": release.preview_token},
    ).json()
    assert preview["tracks"][0]["mode"] == "full"


def test_widget_data_of_a_non_public_release_is_not_found() -> None:
    release = ReleaseFactory(visibility=Release.Visibility.UNLISTED)

    response = Client().get(reverse("storefront:embed_listen_data", args=[release.pk]))

    assert response.status_code == 404


def test_oembed_describes_a_release_page() -> None:
    release = ReleaseFactory(title="Écoute")
    for n in (1, 2, 3):
        TrackFactory(release=release, position=n)

    response = _oembed(url=_page_url(release), format="json")

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    data = response.json()
    assert data["type"] == "rich" and data["version"] == "1.0"
    assert data["title"] == "Écoute"
    assert data["author_name"] == release.artist.name
    assert data["author_url"] == "http://testserver" + release.artist.get_absolute_url()
    assert data["provider_url"] == "http://testserver/"
    assert data["width"] == 700
    assert data["height"] == embed.embed_height(size="large", tracks=3)
    src = f"http://testserver/embed/release/{release.pk}/"
    assert f'<iframe src="{src}" width="700" height="{data["height"]}"' in data["html"]
    assert "thumbnail_url" not in data  # no cover


def test_oembed_thumbnail_is_a_cover_variant_within_maxwidth(cover_file: Any) -> None:
    release = ReleaseFactory(cover=cover_file)
    TrackFactory(release=release)

    data = _oembed(url=_page_url(release), maxwidth="640").json()

    assert data["width"] == 640
    assert data["thumbnail_width"] == 600 and data["thumbnail_height"] == 600
    thumb = urlsplit(data["thumbnail_url"])
    assert thumb.path == reverse("storefront:cover", args=[release.pk, 600])
    assert Client().get(thumb.path + "?" + thumb.query).status_code == 200


def test_oembed_of_a_track_page_and_maxheight_picks_the_compact_widget() -> None:
    track = TrackFactory(title="Seule")
    url = "http://testserver" + reverse(
        "storefront:track",
        kwargs={
            "artist": track.release.artist.slug,
            "release": track.release.slug,
            "position": track.position,
            "track": track.slug,
        },
    )

    data = _oembed(url=url, maxheight="120").json()

    assert data["title"] == "Seule"
    assert data["height"] == embed.COMPACT_HEIGHT
    assert f"/embed/track/{track.pk}/?size=compact" in data["html"]


def test_oembed_refuses_unknown_and_non_public_pages_and_the_xml_format() -> None:
    unlisted = ReleaseFactory(visibility=Release.Visibility.UNLISTED)
    public = ReleaseFactory()

    assert _oembed(url=_page_url(unlisted)).status_code == 404
    assert _oembed(url=_page_url(unlisted) + f"?preview={unlisted.preview_token}").status_code == (
        404
    )
    assert _oembed(url="http://testserver/no-such-band/nothing/").status_code == 404
    assert _oembed(url="https://elsewhere.example" + public.get_absolute_url()).status_code == 404
    assert _oembed(url="http://testserver/").status_code == 404
    assert _oembed(url=_page_url(public), format="xml").status_code == 501


def test_release_page_has_the_embed_box_and_the_oembed_discovery_link() -> None:
    release = ReleaseFactory()
    TrackFactory(release=release)

    body = Client().get(release.get_absolute_url()).content.decode()

    link = re.search(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', body)
    assert link
    query = parse_qs(urlsplit(html.unescape(link.group(1))).query)
    assert query == {"url": [_page_url(release)], "format": ["json"]}
    assert '<details class="embed-box" data-embed-box>' in body
    code = re.search(r"<textarea[^>]*data-embed-code>([^<]+)</textarea>", body)
    assert code and html.unescape(code.group(1)).startswith(
        f'<iframe src="http://testserver/embed/release/{release.pk}/"'
    )
    assert re.search(rf'<iframe src="/embed/release/{release.pk}/"[^>]*loading="lazy"', body)
    assert '<script type="module" src="/static/disquaire/js/embed-box.js">' in body


def test_track_page_embed_box_offers_the_track_widget() -> None:
    track = TrackFactory()
    url = reverse(
        "storefront:track",
        kwargs={
            "artist": track.release.artist.slug,
            "release": track.release.slug,
            "position": track.position,
            "track": track.slug,
        },
    )

    body = Client().get(url).content.decode()

    assert f'data-src="/embed/track/{track.pk}/?size=compact"' in body
    assert "application/json+oembed" in body


def test_preview_page_has_no_embed_box_nor_discovery_link() -> None:
    release = ReleaseFactory(visibility=Release.Visibility.UNLISTED)

    body = (
        Client()
        .get(release.get_absolute_url(), {"preview": release.preview_token})
        .content.decode()
    )

    assert "data-embed-box" not in body and "json+oembed" not in body


def test_embed_box_strings_are_translated() -> None:
    release = ReleaseFactory()
    with translation.override("fr"):
        code = embed.embed_code(release=release)
    assert "lecteur" in code
