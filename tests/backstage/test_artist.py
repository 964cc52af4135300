"""The artist's page, theme with contrast nudge, concerts and news (Markdown sanitised)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from disquaire.catalog.markdown import markdown_to_html
from disquaire.catalog.models import Artist, Concert, Membership, NewsPost
from disquaire.core.colour import theme_readable
from tests.backstage.conftest import Band
from tests.factories import UserFactory


def _artist_form(artist: Artist, **changes: str) -> dict[str, str]:
    data = {
        "name": artist.name,
        "bio": artist.bio,
        "photo_alt": "",
        "default_language": "fr",
        "currency": "EUR",
        "theme_background": "#ffffff",
        "theme_text": "#222222",
        "theme_accent": "#9c2f1f",
        "links-TOTAL_FORMS": "0",
        "links-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_operator_creates_an_artist_and_becomes_its_owner(client: Client) -> None:
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator)
    response = client.post(reverse("backstage:artist_create"), {"name": "Les Bijoux de Famille"})
    artist = Artist.objects.get(name="Les Bijoux de Famille")
    assert artist.slug == "les-bijoux-de-famille"
    assert response.url == reverse("backstage:artist_edit", kwargs={"artist": artist.slug})
    assert Membership.objects.get(artist=artist).user == operator


@pytest.mark.django_db
def test_where_the_operator_allows_it_a_member_creates_an_artist_and_owns_it(
    band: Band, settings: Any
) -> None:
    settings.DISQUAIRE_ARTIST_CREATION = "anyone"
    response = band.client.post(reverse("backstage:artist_create"), {"name": "Second Band"})
    artist = Artist.objects.get(name="Second Band")
    assert response.status_code == 302
    assert Membership.objects.get(artist=artist).role == Membership.Role.OWNER


@pytest.mark.django_db
def test_by_default_only_staff_create_artists(band: Band, settings: Any) -> None:
    """A stranger with an account cannot open a shop on the band's domain."""
    response = band.client.post(reverse("backstage:artist_create"), {"name": "Squat"})
    assert response.status_code == 403
    assert not Artist.objects.filter(name="Squat").exists()
    operator = Client()
    operator.force_login(UserFactory(is_staff=True))
    assert (
        operator.post(reverse("backstage:artist_create"), {"name": "Label Act"}).status_code == 302
    )


@pytest.mark.django_db
def test_a_visitor_must_sign_in_to_create_an_artist(client: Any) -> None:
    response = client.post(reverse("backstage:artist_create"), {"name": "Squat"})
    assert response.status_code == 302 and "login" in response.url


@pytest.mark.django_db
def test_artist_edit_saves_links_and_shows_the_nudged_colours(band: Band) -> None:
    url = reverse("backstage:artist_edit", kwargs={"artist": band.artist.slug})
    data = _artist_form(
        band.artist,
        name="Les Bijoux",
        theme_background="#ffffff",
        theme_text="#dddddd",  # far too pale on white
        **{
            "links-TOTAL_FORMS": "3",
            "links-0-label": "Bandcamp",
            "links-0-url": "https://bijoux.bandcamp.com",
            "links-1-label": "Old",
            "links-1-url": "https://old.example.org",
            "links-1-DELETE": "on",
            "links-2-label": "",
            "links-2-url": "",
        },
    )
    response = band.client.post(url, data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    band.artist.refresh_from_db()
    assert band.artist.name == "Les Bijoux"
    assert band.artist.links == [{"label": "Bandcamp", "url": "https://bijoux.bandcamp.com"}]

    page = band.client.get(url).content.decode()
    used = theme_readable(background="#ffffff", text="#dddddd", accent="#9c2f1f")
    assert used.fg != "#dddddd"
    assert used.fg in page
    assert "adjusted for readability" in page


@pytest.mark.django_db
def test_theme_preview_answers_the_colours_the_site_will_use(band: Band) -> None:
    url = reverse("backstage:theme_preview", kwargs={"artist": band.artist.slug})
    data = band.client.get(url, {"bg": "#000000", "fg": "#111111", "accent": "#222222"}).json()
    assert data["nudged"] == {"fg": True, "accent": True}
    assert data["ratios"]["fg"] >= 4.5 and data["ratios"]["accent"] >= 4.5
    assert band.client.get(url, {"bg": "red"}).status_code == 400


@pytest.mark.django_db
def test_concerts_add_edit_delete(band: Band) -> None:
    slug = band.artist.slug
    data = {
        "starts_at": "2027-03-14T20:30",
        "venue": "Le Marché Gare",
        "city": "Lyon",
        "country": "fr",
        "ticket_url": "",
        "notes": "",
    }
    response = band.client.post(reverse("backstage:concert_create", kwargs={"artist": slug}), data)
    assert response.status_code == 302
    concert = Concert.objects.get(artist=band.artist)
    assert concert.country == "FR"
    listing = band.client.get(reverse("backstage:concerts", kwargs={"artist": slug}))
    assert "Le Marché Gare" in listing.content.decode()

    edit = reverse("backstage:concert_edit", kwargs={"artist": slug, "concert_id": concert.pk})
    band.client.post(edit, {**data, "venue": "Le Sonic"})
    concert.refresh_from_db()
    assert concert.venue == "Le Sonic"

    delete = reverse("backstage:concert_delete", kwargs={"artist": slug, "concert_id": concert.pk})
    assert band.client.get(delete).status_code == 200  # asks first
    assert Concert.objects.filter(pk=concert.pk).exists()
    band.client.post(delete)
    assert not Concert.objects.filter(pk=concert.pk).exists()


@pytest.mark.django_db
def test_news_add_edit_delete_with_markdown_preview(band: Band) -> None:
    slug = band.artist.slug
    body = "Nouvel **album** !\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2))"
    response = band.client.post(
        reverse("backstage:news_create", kwargs={"artist": slug}),
        {"title": "Sortie", "body": body, "published_at": "2026-11-01T10:00"},
    )
    assert response.status_code == 302
    post = NewsPost.objects.get(artist=band.artist)
    assert post.slug == "sortie"

    edit = reverse("backstage:news_edit", kwargs={"artist": slug, "post_id": post.pk})
    page = band.client.get(edit).content.decode()
    assert "<strong>album</strong>" in page
    assert "<script>alert" not in page.replace("&lt;script&gt;", "")

    preview = band.client.post(
        reverse("backstage:markdown_preview", kwargs={"artist": slug}), {"text": body}
    ).json()["html"]
    assert "<strong>album</strong>" in preview
    assert "<script" not in preview and "javascript:" not in preview

    band.client.post(edit, {"title": "Sortie !", "body": "ok", "published_at": ""})
    post.refresh_from_db()
    assert post.title == "Sortie !" and post.published_at is None

    delete = reverse("backstage:news_delete", kwargs={"artist": slug, "post_id": post.pk})
    band.client.post(delete)
    assert not NewsPost.objects.filter(pk=post.pk).exists()


def test_markdown_never_lets_a_script_through() -> None:
    html = markdown_to_html(
        "# Titre\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        '<a href="javascript:alert(1)">x</a> [ok](https://example.org) *ital*'
    )
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "<img" not in html
    assert '<a href="https://example.org" rel="nofollow noopener">ok</a>' in html
    assert "<em>ital</em>" in html


@pytest.mark.django_db
def test_public_artist_page_shows_news_as_sanitised_markdown(band: Band, client: Client) -> None:
    NewsPost.objects.create(
        artist=band.artist,
        title="Tournée",
        slug="tournee",
        body="On part en **tournée**.\n\n<script>alert('x')</script>",
        published_at=timezone.now(),
    )
    page = client.get(band.artist.get_absolute_url()).content.decode()
    assert "<strong>tournée</strong>" in page
    assert "alert('x')" not in page


@pytest.mark.django_db
def test_artist_photo_and_alt_text_are_saved(band: Band, cover_jpg: Path) -> None:
    url = reverse("backstage:artist_edit", kwargs={"artist": band.artist.slug})
    with cover_jpg.open("rb") as photo:
        data: dict[str, Any] = {
            **_artist_form(band.artist, photo_alt="Les quatre sur scène"),
            "photo": photo,
        }
        assert band.client.post(url, data).status_code == 302
    band.artist.refresh_from_db()
    assert band.artist.photo.name.startswith("artists/photos/")
    assert band.artist.photo_alt == "Les quatre sur scène"
    # The form shows the photo itself through its public address, never a link to the
    # storage address (which nothing serves).
    page = band.client.get(url).content.decode()
    assert band.artist.photo.url not in page
    (src,) = re.findall(r'<img src="([^"]+/images/photo-300\.webp\?v=[0-9a-f]+)"', page)
    shown = band.client.get(src.replace("&amp;", "&"))
    assert shown.status_code == 200 and shown["Content-Type"] == "image/webp"
