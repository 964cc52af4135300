"""The version of an artist's colours: the stylesheet's address changes when they do."""

from __future__ import annotations

import hashlib

from disquaire.catalog.models import Artist


def artist_theme_version(*, artist: Artist) -> str:
    """Changes when the colours change, so the stylesheet's address can be cached."""
    raw = f"{artist.theme_background}{artist.theme_text}{artist.theme_accent}"
    return hashlib.sha256(raw.encode()).hexdigest()[:10]
