"""Read-only queries of the catalogue."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Prefetch

from disquaire.catalog.models import Release, Rendition, Track


def release_import_summary(*, release: Release) -> dict[str, Any]:
    """The `disquaire import --json` view of a release: tracks and their renditions."""
    tracks = Track.objects.filter(release=release).prefetch_related(
        Prefetch("renditions", queryset=Rendition.objects.order_by("format"))
    )
    return {
        "id": release.pk,
        "slug": release.slug,
        "url": settings.SITE_URL + release.get_absolute_url(),
        "tracks": [
            {
                "title": track.title,
                "position": track.position,
                "duration": track.duration_s,
                "status": track.status,
                "error": track.error,
                "renditions": [
                    {
                        "format": r.format,
                        "path": r.file.name or "",
                        "bytes": r.bytes,
                        "status": r.status,
                    }
                    for r in track.renditions.all()
                ],
            }
            for track in tracks
        ],
    }


def release_progress(*, release_id: int) -> list[tuple[Track, list[Rendition]]]:
    tracks = Track.objects.filter(release_id=release_id).prefetch_related("renditions")
    return [(track, list(track.renditions.all())) for track in tracks]
