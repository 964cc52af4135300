"""WCAG contrast maths and the nudge that makes an artist's colours readable."""

from __future__ import annotations

import colorsys

import pytest

from disquaire.core.colour import (
    contrast_ratio,
    hex_to_rgb,
    nudge_for_contrast,
    relative_luminance,
    theme_readable,
)


def _hue(colour: str) -> float:
    r, g, b = (c / 255 for c in hex_to_rgb(colour))
    return colorsys.rgb_to_hls(r, g, b)[0]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        ("#777777", "#ffffff", 4.48),
        ("#767676", "#ffffff", 4.54),
        ("#0000ff", "#ffffff", 8.59),
        ("#ff0000", "#ffffff", 4.0),
        ("#fff", "#777", 4.48),
    ],
)
def test_contrast_ratio_matches_published_wcag_values(a: str, b: str, expected: float) -> None:
    assert contrast_ratio(a, b) == pytest.approx(expected, abs=0.01)
    assert contrast_ratio(b, a) == pytest.approx(expected, abs=0.01)


def test_relative_luminance_of_black_and_white() -> None:
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1.0)


def test_colour_that_already_reads_is_left_alone() -> None:
    assert nudge_for_contrast("#1B1B1B", against="#faf8f5") == "#1b1b1b"


def test_light_grey_text_on_white_is_darkened_until_it_passes() -> None:
    nudged = nudge_for_contrast("#aaaaaa", against="#ffffff")
    assert contrast_ratio(nudged, "#ffffff") >= 4.5
    assert relative_luminance(nudged) < relative_luminance("#aaaaaa")


def test_dark_red_accent_on_black_is_lightened_and_keeps_its_hue() -> None:
    nudged = nudge_for_contrast("#8b0000", against="#000000")
    assert contrast_ratio(nudged, "#000000") >= 4.5
    assert relative_luminance(nudged) > relative_luminance("#8b0000")
    assert _hue(nudged) == pytest.approx(_hue("#8b0000"), abs=0.02)


def test_worst_mid_grey_background_still_gets_readable_text() -> None:
    nudged = nudge_for_contrast("#777777", against="#777777")
    assert contrast_ratio(nudged, "#777777") >= 4.5


@pytest.mark.parametrize(
    ("background", "text", "accent"),
    [
        ("#faf8f5", "#cccccc", "#ffcc00"),  # light theme, pale text, yellow accent
        ("#101018", "#333344", "#2a1a6e"),  # dark theme, dark text, dark violet accent
        ("#ffffff", "#ffffff", "#ffffff"),  # everything the same
        ("#777777", "#787878", "#7a7a7a"),  # mid grey everywhere
        ("#0a3d2a", "#0f5c3f", "#ff7f50"),  # dark green with coral
    ],
)
def test_every_theme_ends_readable(background: str, text: str, accent: str) -> None:
    theme = theme_readable(background=background, text=text, accent=accent)
    assert theme.bg == background
    assert contrast_ratio(theme.fg, theme.bg) >= 4.5
    assert contrast_ratio(theme.accent, theme.bg) >= 4.5
    assert contrast_ratio(theme.accent_fg, theme.accent) >= 4.5


def test_good_theme_is_kept_as_the_artist_chose_it() -> None:
    theme = theme_readable(background="#faf8f5", text="#1b1b1b", accent="#9c2f1f")
    assert (theme.fg, theme.accent) == ("#1b1b1b", "#9c2f1f")
    assert theme.accent_fg == "#faf8f5"


def test_bad_hex_is_refused() -> None:
    with pytest.raises(ValueError):
        hex_to_rgb("red")
