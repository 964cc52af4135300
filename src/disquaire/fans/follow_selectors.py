"""Reads about followers, for the band's pages."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, QuerySet

from disquaire.catalog.models import Artist
from disquaire.fans.follow_models import Follower, FollowerState


def followers_latest(*, artist: Artist, limit: int = 5) -> list[Follower]:
    """The last confirmed followers, newest first."""
    return list(
        Follower.objects.filter(artist=artist, state=FollowerState.CONFIRMED).order_by(
            "-confirmed_at", "-pk"
        )[:limit]
    )


def followers_confirmed_count(*, artist: Artist, start: datetime, end: datetime) -> int:
    """Followers of ``artist`` who confirmed in [start, end)."""
    return Follower.objects.filter(
        artist=artist,
        state=FollowerState.CONFIRMED,
        confirmed_at__gte=start,
        confirmed_at__lt=end,
    ).count()


def followers_counts(*, artist: Artist) -> dict[str, int]:
    """How many followers of ``artist`` are in each state."""
    counts = dict.fromkeys(FollowerState.values, 0)
    for row in (
        Follower.objects.filter(artist=artist).values("state").order_by().annotate(n=Count("pk"))
    ):
        counts[row["state"]] = row["n"]
    return counts


def followers_for_artist(*, artist: Artist, state: str = "", query: str = "") -> QuerySet[Follower]:
    followers = Follower.objects.filter(artist=artist)
    if state:
        followers = followers.filter(state=state)
    if query:
        followers = followers.filter(email__icontains=query.strip().lower())
    return followers.order_by("-created_at", "-pk")
