"""The table's actions in the band's activity log (``core.audit``)."""

from __future__ import annotations

from typing import Any

from disquaire.core.audit import activity_record


def trace(*, action: str, obj: Any, by: str, data: dict[str, Any] | None = None) -> None:
    """Record ``table.<action>`` on ``obj`` in its artist's activity log, inside the
    caller's transaction (``data["artist"]`` names the artist when ``obj`` has none)."""
    data = data or {}
    artist_id = data.get("artist", getattr(obj, "artist_id", None))
    if artist_id is not None:
        after = {k: v for k, v in data.items() if k != "artist"}
        activity_record(
            artist_id=int(artist_id), action=f"table.{action}", obj=obj, actor=by, after=after
        )
