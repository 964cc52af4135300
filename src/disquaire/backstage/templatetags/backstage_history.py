"""``{% history artist ... %}``: the "History" section of a page of the backstage."""

from __future__ import annotations

from typing import Any

from django import template

from disquaire.backstage.history import history_line
from disquaire.core.audit import activity_for_artist

register = template.Library()

SHOWN = 20


@register.inclusion_tag("backstage/includes/history.html")
def history(
    artist: Any,
    *,
    object_type: str = "",
    object_id: Any = None,
    release_id: Any = None,
    actions: str = "",
) -> dict[str, Any]:
    """The latest entries of ``artist``'s log about one object, one release or one kind
    of action, with a link to the whole activity page."""
    entries = activity_for_artist(
        artist_id=artist.pk,
        object_type=object_type,
        object_id=object_id,
        release_id=release_id,
        action_prefix=actions,
    )[:SHOWN]
    return {"artist": artist, "lines": [history_line(e) for e in entries]}
