"""Free downloads of single tracks offered on the public release page."""

from __future__ import annotations

from disquaire.audio.formats import DOWNLOAD_FORMATS, FORMATS, ORIGINAL
from disquaire.catalog.models import (
    ProcessingStatus,
    Rendition,
    Track,
)
from disquaire.storefront.clips import (
    original_kind,
)
from disquaire.storefront.listening.streams import StreamUnavailable


def free_download_file(*, track: Track) -> tuple[Rendition, str, str]:
    """The best ready download of a free track of a public release:
    ``(rendition, content type, "NN - Title.ext")``; raise StreamUnavailable otherwise.

    mp3-320 first (plays everywhere), else the first ready download format in the
    table's order, else the lossy master as uploaded.
    """
    release = track.release
    if not track.is_free or not release.is_public:
        raise StreamUnavailable("not a free track")
    ready = {
        r.format: r for r in track.renditions.filter(status=ProcessingStatus.READY).exclude(file="")
    }
    order = [fmt.key for fmt in DOWNLOAD_FORMATS] + [ORIGINAL]
    key = next((k for k in order if k in ready), None)
    if key is None:
        raise StreamUnavailable("no download ready")
    if key == ORIGINAL:
        _, extension, content_type = original_kind(track)
    else:
        extension, content_type = FORMATS[key].extension, FORMATS[key].mime
    return ready[key], content_type, f"{track.position:02d} - {track.title}{extension}"
