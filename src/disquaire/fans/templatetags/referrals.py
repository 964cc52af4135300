"""``{% share_url email release as url %}``: a fan's personal share link to a release,
absolute, or "" when the release's band gives no referral rewards (or no address)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse

register = template.Library()


@register.simple_tag
def share_url(email: str, release: Any) -> str:
    from disquaire.fans.referrals.models import ReferralSettings
    from disquaire.fans.referrals.services import share_link_for

    if not email or release is None or getattr(release, "pk", None) is None:
        return ""
    if not ReferralSettings.objects.filter(artist_id=release.artist_id, enabled=True).exists():
        return ""
    link = share_link_for(email=email, release=release)
    return settings.SITE_URL + reverse("fans_referrals:share_visit", kwargs={"code": link.code})


@register.simple_tag
def referrals_on(release: Any) -> bool:
    """The release's band rewards fans who share it (for the share box's link, which
    is the same for everyone: the page stays cacheable)."""
    from disquaire.fans.referrals.models import ReferralSettings

    if release is None or getattr(release, "artist_id", None) is None:
        return False
    return ReferralSettings.objects.filter(artist_id=release.artist_id, enabled=True).exists()
