"""The stats' charts drawn: horizontal bars, or one column a day, as values for the SVG
templates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from disquaire.backstage.stats import Chart

WIDTH = 640
BAR_HEIGHT = 22
LABEL_WIDTH = 200


def svg_bars(chart: Chart) -> dict[str, Any]:
    """Horizontal bars, one per row, longest first: label left, value at the bar's end."""
    column = chart.bar_column
    top = max([values[column] for _l, values in chart.rows] or [0]) or 1
    span = WIDTH - LABEL_WIDTH - 60
    bars = []
    for index, (label, values) in enumerate(chart.rows):
        value = values[column]
        width = round(span * value / top, 1)
        y = index * (BAR_HEIGHT + 6)
        bars.append(
            {
                "label": label if len(label) <= 28 else label[:27] + "…",
                "value": chart.cell(column, value),
                "x": LABEL_WIDTH,
                "y": y,
                "width": max(width, 1 if value else 0),
                "text_y": y + BAR_HEIGHT - 6,
                "value_x": LABEL_WIDTH + width + 6,
            }
        )
    return {
        "kind": "bars",
        "width": WIDTH,
        "height": max(len(bars), 1) * (BAR_HEIGHT + 6),
        "bar_height": BAR_HEIGHT,
        "bars": bars,
    }


def svg_timeline(chart: Chart) -> dict[str, Any]:
    """One column per day (orders), with a baseline and the first/middle/last dates."""
    height, bottom = 160, 140
    column = chart.bar_column
    top = max([values[column] for _l, values in chart.rows] or [0]) or 1
    step = WIDTH / max(len(chart.rows), 1)
    bars = []
    for index, (label, values) in enumerate(chart.rows):
        value = values[column]
        h = round((bottom - 10) * value / top, 1)
        bars.append(
            {
                "x": round(index * step, 1),
                "y": round(bottom - h, 1),
                "width": round(max(step - 1, 1), 1),
                "height": h,
                "label": label,
                "value": value,
            }
        )
    ticks = []
    if chart.rows:
        last = len(chart.rows) - 1
        for index, anchor in ((0, "start"), (last // 2, "middle"), (last, "end")):
            x = round(index * step + step / 2, 1)
            ticks.append({"x": x, "label": chart.rows[index][0], "anchor": anchor})
    return {
        "kind": "timeline",
        "width": WIDTH,
        "height": height + 10,
        "bottom": bottom,
        "bars": bars,
        "ticks": ticks,
        "top": top,
        "tick_y": bottom + 18,
    }
