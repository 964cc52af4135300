"""Delivery tests: releases with small stand-in files, or real ones made by ffmpeg."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from disquaire.audio.formats import FORMATS
from disquaire.catalog.models import ProcessingStatus, Release, Rendition
from disquaire.delivery.links import download_page_url
from disquaire.delivery.models import Entitlement
from disquaire.delivery.services import entitlement_grant
from tests.factories import ReleaseFactory, TrackFactory


def file_bytes(track_id: int, key: str, size: int = 2048) -> bytes:
    seed = f"{track_id}:{key}".encode()
    return (hashlib.sha256(seed).digest() * (size // 32 + 1))[:size]


def ready_release(
    *, tracks: int = 2, formats: tuple[str, ...] = ("mp3-320", "flac"), **fields: Any
) -> Release:
    """A published release whose tracks have ready download renditions (stand-in bytes,
    not audio: enough for links, counting and refusals)."""
    release = ReleaseFactory(**fields)
    for number in range(1, tracks + 1):
        track = TrackFactory(
            release=release, position=number, title=f"Song {number}", status="ready"
        )
        for key in formats:
            data = file_bytes(track.pk, key, size=2048 * number)
            name = default_storage.save(
                f"renditions/{track.pk}/{key}{FORMATS[key].extension}", ContentFile(data)
            )
            Rendition.objects.create(
                track=track,
                format=key,
                file=name,
                bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                status=ProcessingStatus.READY,
            )
    return release


def grant(release: Release, email: str = "fan@example.org", ref: str = "order:A1") -> Entitlement:
    return entitlement_grant(email=email, release=release, source="order", ref=ref)


def page_path(*entitlements: Entitlement) -> str:
    return download_page_url(entitlements=entitlements, absolute=False)


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def file_path(entitlement: Entitlement, track_id: int, key: str, token: str | None = None) -> str:
    token = token or token_of(page_path(entitlement))
    return f"/downloads/{token}/{entitlement.pk}/{track_id}/{key}/"


def zip_path(entitlement: Entitlement, key: str, token: str | None = None) -> str:
    token = token or token_of(page_path(entitlement))
    return f"/downloads/{token}/{entitlement.pk}/zip/{key}/"


def body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)
