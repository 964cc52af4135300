"""The demo band: two releases of generated music, covers, bio and links."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from disquaire.audio import TagSet, synth_cover, synth_track, write_tags
from disquaire.catalog.models import Artist, Membership, Release, Track
from disquaire.catalog.services import imports as import_services

DEMO_ARTIST = "Les Cousins Mécaniques"
DEMO_BIO = (
    "Les Cousins Mécaniques play brass-band swing and chanson from the Atlantic coast: "
    "two cousins, a sousaphone, a drum kit and a typewriter used as percussion. "
    "They have played every café between Nantes and La Rochelle and sold their first "
    "CD from a suitcase after each concert.\n\n"
    "Les Cousins Mécaniques jouent une chanson cuivrée venue de la côte atlantique."
)
DEMO_LINKS = [
    {"label": "Website", "url": "https://example.org/cousins"},
    {"label": "Fediverse", "url": "https://example.org/@cousins"},
]


@dataclass(frozen=True)
class DemoRelease:
    title: str
    year: int
    tracks: tuple[str, ...]
    seconds: float
    seed: int
    description: str
    # Positions of the tracks given away (and so in the podcast).
    free_tracks: tuple[int, ...] = ()


RELEASES = (
    DemoRelease(
        title="Marée Haute",
        year=2025,
        tracks=(
            "La Valse du Port",
            "Sardines à l'Huile",
            "Le Phare",
            "Nuit Blanche à Pornic",
            "Chanson pour Réunion",
            "Départ",
        ),
        seconds=40,
        seed=11,
        description="Our first album, recorded live in a barn near Guérande.",
    ),
    DemoRelease(
        title="Trois Petites Notes",
        year=2026,
        tracks=("Ouverture", "Le Tramway", "Au Revoir"),
        seconds=30,
        seed=42,
        description="A three-song EP for the summer tour.",
        free_tracks=(2,),
    ),
)


def demo_create(
    *, stdout: Callable[[str], object] = print, track_seconds: float | None = None
) -> bool:
    """Create the demo band and its releases unless they already exist.

    ``track_seconds`` shortens every generated track (for quick trials and tests).
    """
    if Release.objects.filter(artist__name=DEMO_ARTIST).exists():
        return False
    source = Path(settings.DATA_DIR) / "demo-source"
    for index, spec in enumerate(RELEASES):
        folder = source / f"release-{index}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "cover.jpg").write_bytes(synth_cover(title=spec.title, seed=spec.seed))
        stdout(f"  generating {len(spec.tracks)} tracks of {spec.title}")

        def make(number: int, title: str, spec: DemoRelease = spec, folder: Path = folder) -> None:
            path = folder / f"{number:02d} - {title}.flac"
            seconds = track_seconds or spec.seconds
            synth_track(path=path, seconds=seconds, seed=spec.seed * 100 + number)
            write_tags(
                path,
                format_key="flac",
                tags=TagSet(
                    title=title,
                    artist=DEMO_ARTIST,
                    album=spec.title,
                    album_artist=DEMO_ARTIST,
                    track_number=number,
                    track_total=len(spec.tracks),
                    year=spec.year,
                ),
            )

        # ffmpeg renders one track per core at a time.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(make, range(1, len(spec.tracks) + 1), spec.tracks))
        result = import_services.release_import(
            artist_name=DEMO_ARTIST, path=folder, title=spec.title, publish=True
        )
        if result.release is None:
            raise RuntimeError(f"the demo release could not be imported: {result.rejected}")
        Release.objects.filter(pk=result.release.pk).update(
            description=spec.description,
            cover_alt=f"Cover of {spec.title}: generated shapes and the title",
            release_date=date(spec.year, 6, 21),
        )
        Track.objects.filter(release=result.release, position__in=spec.free_tracks).update(
            is_free=True
        )
    Artist.objects.filter(name=DEMO_ARTIST).update(bio=DEMO_BIO, links=DEMO_LINKS)
    return True


def demo_link_member(*, user: AbstractBaseUser) -> None:
    artist = Artist.objects.filter(name=DEMO_ARTIST).first()
    if artist is not None:
        Membership.objects.get_or_create(
            artist=artist, user=user, defaults={"role": Membership.Role.OWNER}
        )
