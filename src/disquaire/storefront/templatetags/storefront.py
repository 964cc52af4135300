"""Filters and tags of the public site's templates."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from disquaire.catalog.models import Artist, Release
from disquaire.core.countries import country_name as _country_name
from disquaire.storefront import jsonld
from disquaire.storefront.images import ALLOWED_WIDTHS, source_version

register = template.Library()

COVER_WIDTHS = ALLOWED_WIDTHS


@register.filter
def duration(ms: int | None) -> str:
    """Milliseconds as ``m:ss`` (``h:mm:ss`` past an hour); empty when unknown."""
    if ms is None:
        return ""
    total = round(ms / 1000)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


@register.filter
def country_name(code: str | None) -> str:
    """An ISO country code as the country's name in the visitor's language."""
    return _country_name(code)


@register.filter
def iso_duration(ms: int | None) -> str:
    return jsonld.iso_duration(ms) or ""


def _cover_src(release: Release, width: int, preview: str | None) -> str:
    url = reverse("storefront:cover", kwargs={"release_id": release.pk, "width": width})
    url += f"?v={source_version(release.cover)}"
    if preview:
        url += f"&preview={preview}"
    return url


@register.simple_tag
def cover_src(release: Release, width: int = 600, preview: str | None = None) -> str:
    return _cover_src(release, width, preview)


@register.simple_tag
def cover_srcset(release: Release, preview: str | None = None) -> SafeString:
    return format_html_join(
        ", ", "{} {}w", ((_cover_src(release, w, preview), w) for w in COVER_WIDTHS)
    )


@register.simple_tag
def ld_json(data: Any) -> SafeString:
    return jsonld.ld_json_script(data)


@register.filter
def cover_alt(release: Release) -> str:
    return release.cover_alt or release.title


@register.filter
def file_version(field: FieldFile) -> str:
    return source_version(field) if field else ""


@register.simple_tag
def artist_image_srcset(artist: Artist, kind: str) -> SafeString:
    field = artist.header_image if kind == "header" else artist.photo
    version = file_version(field)

    def url(width: int) -> str:
        path = reverse(
            "storefront:artist_image", kwargs={"artist": artist.slug, "kind": kind, "width": width}
        )
        return f"{path}?v={version}"

    return format_html_join(", ", "{} {}w", ((url(w), w) for w in COVER_WIDTHS))


@register.inclusion_tag("storefront/includes/test_banner.html", takes_context=True)
def test_mode_banner(context: template.Context) -> dict[str, Any]:
    """The "test mode" banner on every public page of an artist in test mode: fans are
    told that nothing they do here is a real purchase."""
    from disquaire.payments.selectors import test_mode_on

    artist = context.get("artist")
    return {"on": isinstance(artist, Artist) and test_mode_on(artist)}
