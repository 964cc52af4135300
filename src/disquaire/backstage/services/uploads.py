"""Resumable uploads of audio and artwork, within each artist's storage quota."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.audio import AudioError
from disquaire.backstage.models import Upload
from disquaire.catalog import sources
from disquaire.catalog.models import Artist, Release, Rendition, Track
from disquaire.catalog.services import editing as editing_services
from disquaire.core.ratelimit import rate_hit

READ_BLOCK = 1024 * 1024


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class UploadRefused(Exception):
    """The file or chunk is refused; ``reason`` says why, for the band."""

    def __init__(self, reason: str, *, status: int = 400, received: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.received = received


def artist_storage_used(*, artist_id: int) -> int:
    """Bytes an artist's music takes: every master and every encoded copy (renditions),
    plus the uploads under way (their announced size)."""
    from django.db.models import Sum

    masters = Track.objects.filter(release__artist_id=artist_id).aggregate(
        total=Sum("master_bytes")
    )["total"]
    renditions = Rendition.objects.filter(track__release__artist_id=artist_id).aggregate(
        total=Sum("bytes")
    )["total"]
    pending = Upload.objects.filter(
        release__artist_id=artist_id, status=Upload.Status.RECEIVING
    ).aggregate(total=Sum("size"))["total"]
    return int(masters or 0) + int(renditions or 0) + int(pending or 0)


def upload_limits() -> dict[str, Any]:
    """What the upload zone says before anything is sent (and what the server enforces)."""
    return {
        "audio_bytes": settings.IMPORT_MAX_FILE_BYTES,
        "image_bytes": settings.BACKSTAGE_MAX_IMAGE_BYTES,
        "chunk_bytes": settings.BACKSTAGE_UPLOAD_CHUNK_BYTES,
        "audio_extensions": sorted(sources.AUDIO_EXTENSIONS),
        "image_extensions": sorted(sources.IMAGE_EXTENSIONS),
    }


def upload_kind_for(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix in sources.AUDIO_EXTENSIONS:
        return Upload.Kind.AUDIO
    if suffix in sources.IMAGE_EXTENSIONS:
        return Upload.Kind.COVER
    raise UploadRefused(
        _("“%(name)s” is neither audio (%(audio)s) nor an image (%(images)s).")
        % {
            "name": filename,
            "audio": ", ".join(sorted(sources.AUDIO_EXTENSIONS)),
            "images": ", ".join(sorted(sources.IMAGE_EXTENSIONS)),
        }
    )


def upload_start(*, release: Release, user: User, filename: str, size: int) -> Upload:
    """Open an upload of ``filename`` (``size`` bytes) for ``release``, after the type and
    size checks the page announced."""
    filename = Path(filename.replace("\\", "/")).name.strip()[:300]
    if not filename:
        raise UploadRefused(_("The file has no name."))
    kind = upload_kind_for(filename)
    limit = (
        settings.IMPORT_MAX_FILE_BYTES
        if kind == Upload.Kind.AUDIO
        else settings.BACKSTAGE_MAX_IMAGE_BYTES
    )
    if size <= 0:
        raise UploadRefused(_("“%(name)s” is empty.") % {"name": filename})
    if size > limit:
        raise UploadRefused(
            _("“%(name)s” is larger than the %(limit)s MB allowed.")
            % {"name": filename, "limit": limit // (1024 * 1024)},
            status=413,
        )
    started = rate_hit(scope="upload-user", value=str(user.pk), window=3600)
    if started > settings.BACKSTAGE_UPLOADS_PER_HOUR:
        raise UploadRefused(
            _("Too many files were sent this hour. Please wait a little, then try again."),
            status=429,
        )
    with transaction.atomic():
        # One upload start at a time per artist: two at once cannot both fit the last room.
        Artist.objects.select_for_update().filter(pk=release.artist_id).first()
        quota = settings.BACKSTAGE_ARTIST_STORAGE_QUOTA
        used = artist_storage_used(artist_id=release.artist_id)
        if quota and used + size > quota:
            raise UploadRefused(
                _(
                    "“%(name)s” does not fit: %(artist)s already uses %(used)s of its "
                    "%(quota)s of storage (music files with their encoded copies, and "
                    "uploads under way). Delete unused tracks, or ask the operator for room."
                )
                % {
                    "name": filename,
                    "artist": release.artist.name,
                    "used": filesizeformat(used),
                    "quota": filesizeformat(quota),
                },
                status=413,
            )
        upload = Upload.objects.create(
            release=release, user=user, kind=kind, filename=filename, size=size
        )
    upload.scratch_path.parent.mkdir(parents=True, exist_ok=True)
    upload.scratch_path.touch()
    return upload


_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def upload_append(*, upload: Upload, content_range: str, body: Readable) -> int:
    """Write one chunk at the offset named by ``content_range``; returns the new count.

    The chunk must start exactly where the server's count ends (409 with the count
    otherwise, so the client resumes from there) and arrive whole: a short body (the
    connection dropped) leaves the count unchanged. The count only moves forward through
    a conditional update, so two copies of the same chunk cannot both be counted.
    """
    if upload.status != Upload.Status.RECEIVING:
        raise UploadRefused(_("This upload is already finished."), status=409)
    match = _RANGE.match(content_range.strip())
    if not match:
        raise UploadRefused(_("A chunk needs a Content-Range: bytes start-end/total header."))
    start, end, total = (int(g) for g in match.groups())
    if total != upload.size or end < start or end >= total:
        raise UploadRefused(_("The Content-Range does not match this file."))
    length = end - start + 1
    if length > settings.BACKSTAGE_UPLOAD_CHUNK_BYTES:
        raise UploadRefused(_("The chunk is larger than allowed."), status=413)
    if start != upload.received:
        raise UploadRefused(
            _("Expected the chunk starting at byte %(count)s.") % {"count": upload.received},
            status=409,
            received=upload.received,
        )
    path = upload.scratch_path
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("r+b" if path.exists() else "wb") as handle:
        handle.seek(start)
        while written < length:
            block = body.read(min(READ_BLOCK, length - written))
            if not block:
                break
            handle.write(block)
            written += len(block)
    if written != length:
        raise UploadRefused(
            _("The chunk arrived incomplete; send it again from byte %(count)s.")
            % {"count": upload.received},
            received=upload.received,
        )
    moved = Upload.objects.filter(pk=upload.pk, received=start).update(received=end + 1)
    upload.refresh_from_db(fields=["received"])
    if not moved:
        raise UploadRefused(
            _("Expected the chunk starting at byte %(count)s.") % {"count": upload.received},
            status=409,
            received=upload.received,
        )
    return upload.received


def upload_finish(*, upload: Upload) -> Upload:
    """Hand the complete file to the release: a new track, or its cover.

    A refused file (the importer's reasons: empty, not audio, truncated…) marks the
    upload failed with that reason; the scratch file is removed either way.
    """
    if upload.status == Upload.Status.DONE:
        return upload
    if upload.received != upload.size:
        raise UploadRefused(
            _("Only %(count)s of %(size)s bytes have arrived.")
            % {"count": upload.received, "size": upload.size},
            status=409,
            received=upload.received,
        )
    path = upload.scratch_path
    try:
        with path.open("r+b") as handle:
            handle.truncate(upload.size)
        if upload.kind == Upload.Kind.AUDIO:
            track = editing_services.track_add_from_upload(
                release=upload.release, path=path, filename=upload.filename
            )
            upload.track = track
        else:
            editing_services.release_cover_set(release=upload.release, data=path.read_bytes())
        upload.status = Upload.Status.DONE
        upload.error = ""
    except AudioError as exc:
        upload.status = Upload.Status.FAILED
        upload.error = exc.reason
    finally:
        path.unlink(missing_ok=True)
    upload.save(update_fields=["status", "error", "track", "updated_at"])
    return upload


def uploads_expire() -> int:
    """Forget uploads untouched for BACKSTAGE_UPLOAD_KEEP_HOURS, with their scratch bytes.

    Run by the workers' periodic job: an upload abandoned half-way (the band closed the
    tab and never came back) must not fill the disk.
    """
    cutoff = timezone.now() - timedelta(hours=settings.BACKSTAGE_UPLOAD_KEEP_HOURS)
    old = list(Upload.objects.filter(updated_at__lt=cutoff))
    for upload in old:
        upload.scratch_path.unlink(missing_ok=True)
    Upload.objects.filter(pk__in=[u.pk for u in old]).delete()
    return len(old)
