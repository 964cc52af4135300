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


ENCODE_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0)


def encodes_metrics() -> list[Any]:
    """/metrics: renditions by format and status, and how long tracks took to encode."""
    from django.db.models import Count, Q, Sum

    from disquaire.core.metrics import Family

    renditions = Family(
        "disquaire_renditions",
        "Renditions (one format of one track) by format and status.",
        ("format", "status"),
    )
    for row in Rendition.objects.values("format", "status").annotate(count=Count("pk")):
        renditions.samples.append(((row["format"], row["status"]), row["count"]))
    encoded = Track.objects.filter(encode_seconds__isnull=False)
    figures = encoded.aggregate(
        total=Sum("encode_seconds"),
        count=Count("pk"),
        **{
            f"le{index}": Count("pk", filter=Q(encode_seconds__lte=bound))
            for index, bound in enumerate(ENCODE_BUCKETS)
        },
    )
    buckets = [
        (str(bound), float(figures[f"le{index}"])) for index, bound in enumerate(ENCODE_BUCKETS)
    ]
    buckets.append(("+Inf", float(figures["count"])))
    durations = Family(
        "disquaire_track_encode_seconds",
        "Seconds of the last encoding run of each track (all its missing formats in one "
        "ffmpeg run), over the tracks encoded.",
        kind="histogram",
        buckets=buckets,
        total=float(figures["total"] or 0.0),
    )
    return [renditions, durations]
