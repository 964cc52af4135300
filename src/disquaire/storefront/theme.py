"""The per-artist stylesheet: the artist's colours as CSS custom properties."""

from __future__ import annotations

from disquaire.catalog.models import Artist
from disquaire.core.colour import Theme, theme_readable


def artist_theme(*, artist: Artist) -> Theme:
    return theme_readable(
        background=artist.theme_background, text=artist.theme_text, accent=artist.theme_accent
    )


def artist_theme_css(*, artist: Artist) -> str:
    """A tiny stylesheet setting ``--bg``, ``--fg``, ``--accent`` and ``--accent-fg``.

    Served as a file rather than a ``style`` attribute so the strict Content-Security-Policy
    (no inline styles) holds.
    """
    theme = artist_theme(artist=artist)
    return (
        ":root{"
        f"--bg:{theme.bg};--fg:{theme.fg};--accent:{theme.accent};--accent-fg:{theme.accent_fg}"
        "}\n"
    )
