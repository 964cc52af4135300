"""``{% follow_wording artist %}``: the consent sentence beside every follow form, the
very text kept with each consent (fans.follow.consent_wording)."""

from __future__ import annotations

from django import template

from disquaire.catalog.models import Artist
from disquaire.fans.follow import consent_wording

register = template.Library()


@register.simple_tag
def follow_wording(artist: Artist) -> str:
    return consent_wording(artist=artist)
