"""Edits invalidate the cached public pages of the artist they belong to."""

from __future__ import annotations

import functools
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from disquaire.catalog.models import Artist, Concert, NewsPost, Release, Tag, Track
from disquaire.catalog.signals import track_processed
from disquaire.storefront.cache import GLOBAL, artist_scope, generation_bump


def _artist_ids(instance: Any) -> list[int]:
    if isinstance(instance, Artist):
        return [instance.pk]
    if isinstance(instance, Release | Concert | NewsPost):
        return [instance.artist_id]
    if isinstance(instance, Track):
        releases = Release.objects.filter(pk=instance.release_id)
        return list(releases.values_list("artist_id", flat=True))
    if isinstance(instance, Tag):
        releases = Release.objects.filter(tags=instance)
        return list(releases.values_list("artist_id", flat=True).distinct())
    return []


def _bump(instance: Any) -> None:
    for artist_id in _artist_ids(instance):
        generation_bump(artist_scope(artist_id))
    # The home page, tag pages, feeds and the sitemap span artists.
    generation_bump(GLOBAL)


# Renditions are not watched: they change only while a track is processed, and the end of
# processing bumps the pages once (track_processed) instead of once per format.
_WATCHED = (Artist, Release, Track, Concert, NewsPost, Tag)
# Bookkeeping of the transcoding workers: saved often, never shown on a page.
_INVISIBLE_FIELDS = frozenset({"heartbeat_at", "attempts", "task_id", "progress"})


@receiver(post_save, dispatch_uid="storefront_page_cache_save")
def page_cache_on_save(sender: type, instance: Any, **kwargs: Any) -> None:
    if sender not in _WATCHED or kwargs.get("raw"):
        return
    update_fields = kwargs.get("update_fields")
    if update_fields and set(update_fields) <= _INVISIBLE_FIELDS:
        return
    _bump(instance)


@receiver(post_delete, dispatch_uid="storefront_page_cache_delete")
def page_cache_on_delete(sender: type, instance: Any, **kwargs: Any) -> None:
    if sender in _WATCHED:
        _bump(instance)


@receiver(m2m_changed, sender=Release.tags.through, dispatch_uid="storefront_page_cache_tags")
def page_cache_on_tags(sender: type, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("action", "").startswith("post_") and isinstance(instance, Release):
        _bump(instance)


@receiver(track_processed, dispatch_uid="storefront_track_processed")
def track_processed_follow(sender: type, track: Track, **kwargs: Any) -> None:
    """A track finished processing: its pages change, and its preview clips can be cut."""
    from disquaire.storefront.clips import clips_request, release_needs_clips

    _bump(track)
    if track.status == "ready" and release_needs_clips(release=track.release):
        clips_request(track=track)


@functools.cache
def _shop_models() -> tuple[type, ...]:
    from disquaire.consignment.models import Shop
    from disquaire.orders.models import Order
    from disquaire.payments.models import PaymentSettings
    from disquaire.selling.models import Offer, OfferOption
    from disquaire.stock.models import Movement

    # PaymentSettings: test mode puts a banner on every page of the artist. Shops and
    # stock movements: "Where to buy in person" lists the public shops holding units.
    return (Offer, OfferOption, Order, PaymentSettings, Shop, Movement)


@receiver(post_save, dispatch_uid="storefront_page_cache_shop_save")
@receiver(post_delete, dispatch_uid="storefront_page_cache_shop_delete")
def page_cache_on_shop_change(sender: type, instance: Any, **kwargs: Any) -> None:
    """Offers, and orders taking or giving back units, change the buy boxes ("N left");
    shops and stock movements change "Where to buy in person"."""
    if sender not in _shop_models() or kwargs.get("raw"):
        return
    artist_id = getattr(instance, "artist_id", None)
    if artist_id is None and hasattr(instance, "offer"):
        artist_id = instance.offer.artist_id
    if artist_id is not None:
        generation_bump(artist_scope(artist_id))
        generation_bump(GLOBAL)
