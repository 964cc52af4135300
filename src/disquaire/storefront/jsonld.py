"""schema.org data for search engines, printed as ``application/ld+json``."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from disquaire.catalog.models import Artist, Concert, Release, Track
from disquaire.consignment.selectors import PublicShop

# The characters that could end the <script> element or open a comment in it.
_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def iso_duration(ms: int | None) -> str | None:
    """Milliseconds as an ISO 8601 duration (``PT3M5S``)."""
    if ms is None:
        return None
    total = round(ms / 1000)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if hours or minutes:
        text += f"{minutes}M"
    return f"{text}{seconds}S"


def track_url(track: Track, release: Release) -> str:
    return reverse(
        "storefront:track",
        kwargs={
            "artist": release.artist.slug,
            "release": release.slug,
            "position": track.position,
            "track": track.slug,
        },
    )


def cover_url(release: Release, width: int = 1200) -> str | None:
    if not release.cover:
        return None
    return absolute(reverse("storefront:cover", kwargs={"release_id": release.pk, "width": width}))


def music_group(artist: Artist, links: list[dict[str, str]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MusicGroup",
        "name": artist.name,
        "url": absolute(artist.get_absolute_url()),
    }
    if artist.bio:
        data["description"] = artist.bio
    if links:
        data["sameAs"] = [link["url"] for link in links]
    return data


def _by_artist(artist: Artist) -> dict[str, Any]:
    return {"@type": "MusicGroup", "name": artist.name, "url": absolute(artist.get_absolute_url())}


def music_recording(track: Track, release: Release, *, context: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@type": "MusicRecording",
        "name": track.title,
        "position": track.position,
        "url": absolute(track_url(track, release)),
        "byArtist": _by_artist(release.artist),
    }
    if context:
        data["@context"] = "https://schema.org"
        data["inAlbum"] = {
            "@type": "MusicAlbum",
            "name": release.title,
            "url": absolute(release.get_absolute_url()),
        }
    duration = iso_duration(track.duration_ms)
    if duration:
        data["duration"] = duration
    if track.isrc:
        data["isrcCode"] = track.isrc
    return data


def record_store(shop: PublicShop, *, context: bool = True) -> dict[str, Any]:
    """A shop that carries the band's records (consignment's public list) as a Store."""
    data: dict[str, Any] = {"@type": "Store", "name": shop.name}
    if context:
        data = {"@context": "https://schema.org", **data}
    address = {
        key: value
        for key, value in (
            ("streetAddress", shop.address),
            ("addressLocality", shop.town),
            ("addressCountry", shop.country),
        )
        if value
    }
    if address:
        data["address"] = {"@type": "PostalAddress", **address}
    if shop.url:
        data["url"] = shop.url
    if shop.map_url:
        data["hasMap"] = shop.map_url
    return data


def _in_store_offer(store: PublicShop) -> dict[str, Any]:
    offer: dict[str, Any] = {
        "@type": "Offer",
        "availability": "https://schema.org/InStoreOnly",
        "availableAtOrFrom": record_store(store, context=False),
    }
    if store.price is not None:
        offer["price"] = str(store.price.decimal)
        offer["priceCurrency"] = store.price.currency
    return offer


def music_album(
    release: Release, tracks: list[Track], stores: list[PublicShop] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MusicAlbum",
        "name": release.title,
        "url": absolute(release.get_absolute_url()),
        "byArtist": _by_artist(release.artist),
        "numTracks": len(tracks),
        "track": [music_recording(t, release, context=False) for t in tracks],
    }
    image = cover_url(release)
    if image:
        data["image"] = image
    if release.release_date:
        data["datePublished"] = release.release_date.isoformat()
    if release.description:
        data["description"] = release.description
    if stores:
        # Sold in person at these shops: one in-store offer each.
        data["offers"] = [_in_store_offer(store) for store in stores]
    return data


def music_event(concert: Concert, artist: Artist) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MusicEvent",
        "name": f"{artist.name} — {concert.venue}",
        "startDate": concert.starts_at.isoformat(),
        "performer": _by_artist(artist),
        "location": {
            "@type": "Place",
            "name": concert.venue,
            "address": {
                "@type": "PostalAddress",
                "addressLocality": concert.city,
                "addressCountry": concert.country,
            },
        },
    }
    if concert.ticket_url:
        data["offers"] = {"@type": "Offer", "url": concert.ticket_url}
    return data


def ld_json_script(data: Any) -> SafeString:
    """``data`` as a ``<script type="application/ld+json">`` element, safe in HTML.

    The same escaping as ``django.utils.html.json_script``: ``<``, ``>`` and ``&`` become
    ``\\u003C``..., so no string from the band can close the element. It is data, not code:
    a strict Content-Security-Policy allows it.
    """
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308
