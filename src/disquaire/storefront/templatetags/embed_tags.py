"""Template tags of the embed box and the oEmbed discovery links (views/embed.py)."""

from __future__ import annotations

from django import template

from disquaire.catalog.models import Release, Track
from disquaire.storefront.views import embed

register = template.Library()


def _track(value: Track | str | None) -> Track | None:
    # A release page has no `track`: the template passes "" for it.
    return value if isinstance(value, Track) else None


@register.simple_tag
def embed_code(
    release: Release, size: str, track: Track | str | None = None, tracks: int = 1
) -> str:
    # A plain str, so the template escapes it: it is shown as text (a textarea, an
    # attribute), never inserted as markup.
    return embed.embed_code(release=release, track=_track(track), size=size, tracks=tracks)


@register.simple_tag
def embed_path(release: Release, size: str, track: Track | str | None = None) -> str:
    return embed.embed_path(release=release, track=_track(track), size=size)


@register.simple_tag
def embed_height(size: str, tracks: int = 1) -> int:
    return embed.embed_height(size=size, tracks=tracks)


@register.simple_tag
def oembed_url(page_url: str) -> str:
    return embed.oembed_url(page_url)
