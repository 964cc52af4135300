"""Colour contrast (WCAG 2.x) and the nudge that makes an artist's theme readable.

An artist picks background, text and accent colours; the public site must stay readable
whatever they pick. ``theme_readable()`` keeps the background as chosen (it sets the mood)
and moves the text and accent colours in lightness only, hue and saturation kept, until
they reach the WCAG AA ratio of 4.5:1 against it.
"""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass

__all__ = [
    "AA_TEXT",
    "Theme",
    "contrast_ratio",
    "hex_to_rgb",
    "nudge_for_contrast",
    "relative_luminance",
    "rgb_to_hex",
    "theme_readable",
]

AA_TEXT = 4.5
_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
_STEP = 0.02


def hex_to_rgb(value: str) -> tuple[int, int, int]:
    """``"#1a2b3c"`` or ``"#abc"`` to an (r, g, b) tuple of 0–255 integers."""
    match = _HEX.match(value.strip())
    if not match:
        raise ValueError(f"not a hex colour: {value!r}")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def rgb_to_hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(max(0, min(255, c)) for c in rgb))


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance, 0 (black) to 1 (white)."""
    r, g, b = hex_to_rgb(colour)
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio between two colours, 1.0 to 21.0."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def nudge_for_contrast(colour: str, *, against: str, minimum: float = AA_TEXT) -> str:
    """``colour`` made lighter or darker, hue kept, until it reads on ``against``.

    It moves towards whichever of black or white contrasts more with ``against``: that
    end always reaches 4.5:1 (the worst background, luminance ~0.18, still gives 4.58:1
    with one of them), so the loop ends at the latest on pure black or white.
    """
    colour = rgb_to_hex(hex_to_rgb(colour))
    if contrast_ratio(colour, against) >= minimum:
        return colour
    darken = contrast_ratio("#000000", against) >= contrast_ratio("#ffffff", against)
    r, g, b = (c / 255 for c in hex_to_rgb(colour))
    hue, lightness, saturation = colorsys.rgb_to_hls(r, g, b)
    while True:
        lightness = max(0.0, lightness - _STEP) if darken else min(1.0, lightness + _STEP)
        rgb = colorsys.hls_to_rgb(hue, lightness, saturation)
        candidate = rgb_to_hex((round(rgb[0] * 255), round(rgb[1] * 255), round(rgb[2] * 255)))
        if contrast_ratio(candidate, against) >= minimum or lightness in (0.0, 1.0):
            return candidate


@dataclass(frozen=True)
class Theme:
    """Colours safe to use: text and accent read on the background, and the button label
    (``accent_fg``) reads on the accent."""

    bg: str
    fg: str
    accent: str
    accent_fg: str


def theme_readable(*, background: str, text: str, accent: str) -> Theme:
    """The artist's colours, with text and accent nudged until they pass WCAG AA."""
    bg = rgb_to_hex(hex_to_rgb(background))
    fg = nudge_for_contrast(text, against=bg)
    accent_ok = nudge_for_contrast(accent, against=bg)
    # The background itself reads on the accent (the accent was just made to read on it),
    # which keeps buttons in the artist's palette; pure black or white only if better.
    accent_fg = max(
        (bg, "#ffffff", "#000000"),
        key=lambda c: (contrast_ratio(c, accent_ok) >= AA_TEXT, c == bg),
    )
    return Theme(bg=bg, fg=fg, accent=accent_ok, accent_fg=accent_fg)
