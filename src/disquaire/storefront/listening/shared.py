"""The player's track list as every visitor of a release sees it, kept in the page cache.

``/api/listen/<id>/`` is asked by every visitor of a release page, and its tracks, their
renditions and clips cost a handful of queries and a few hundred model rows each time.
What is the same for everyone — each track's title, length, peaks and which streams are
ready, in one mode (full or clip) — is kept in the cache under the artist's page
*generation* (``storefront.cache``), so an edit or the end of a track's processing shows
at once; only the signed stream URLs are minted for each visitor. A list with a track
still waiting for a file is never kept (its clip may be cut meanwhile), nor a preview's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import cache

from disquaire.catalog.models import Release
from disquaire.storefront.cache import PAGE_TIMEOUT, artist_scope, generation

Entry = dict[str, Any]
Shared = list[tuple[Entry, list[tuple[str, str]]]]


def _key(release: Release, mode: str) -> str:
    gen = generation(artist_scope(release.artist_id))
    return f"storefront:listen:{release.pk}:{gen}:{mode}"


def shared_entries(
    *,
    release: Release,
    mode: str,
    build: Callable[[], Shared],
) -> Shared:
    """[(track entry without sources, [(stream key, source type), …])] of ``release`` in
    ``mode``: from the cache, or ``build()`` and kept when no track is pending."""
    key = _key(release, mode)
    hit: Shared | None = cache.get(key)
    if hit is not None:
        return hit
    found = build()
    if all(keys for _entry, keys in found):
        cache.set(key, found, PAGE_TIMEOUT)
    return found
