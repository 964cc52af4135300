"""Responsive image variants (WebP at a few widths), made on demand and kept in storage."""

from __future__ import annotations

import hashlib
import io

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
from django.http import Http404, HttpResponse
from PIL import Image, ImageOps

from disquaire.core.storage import storage_open, storage_save_bytes

ALLOWED_WIDTHS = (300, 600, 1200)
YEAR = 365 * 24 * 3600
WEBP_QUALITY = 82


def source_version(source: FieldFile) -> str:
    """Changes when the image file changes: its variants' addresses carry it (``?v=``),
    so they can be cached for a year."""
    return hashlib.sha256((source.name or "").encode()).hexdigest()[:12]


def release_cover_prefix(release_id: int) -> str:
    """Where the variants of a release's cover are kept."""
    return f"covers/derived/{release_id}"


def variant_name(*, prefix: str, source: FieldFile, width: int) -> str:
    digest = hashlib.sha256((source.name or "").encode()).hexdigest()[:12]
    return f"{prefix}-{digest}-{width}.webp"


def image_variant(*, source: FieldFile, prefix: str, width: int) -> bytes:
    """The WebP of ``source`` at most ``width`` pixels wide (never enlarged).

    Made once and stored under ``<prefix>-<hash of the source name>-<width>.webp``: a new
    upload has a new name, hence new variants; old ones are only orphaned.
    """
    if width not in ALLOWED_WIDTHS:
        raise ValueError(f"width {width} is not one of {ALLOWED_WIDTHS}")
    name = variant_name(prefix=prefix, source=source, width=width)
    if default_storage.exists(name):
        with storage_open(name) as handle:
            return handle.read()
    if not source.name:
        raise ValueError("no image")
    with storage_open(source.name) as handle:
        opened = Image.open(io.BytesIO(handle.read()))
        if opened.width * opened.height > settings.IMPORT_MAX_IMAGE_PIXELS:
            raise ValueError("image too large")
        image: Image.Image = ImageOps.exif_transpose(opened)
    image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    if image.width > width:
        height = max(1, round(image.height * width / image.width))
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=WEBP_QUALITY, method=4)
    data = out.getvalue()
    if not default_storage.exists(name):
        storage_save_bytes(name=name, data=data)
    return data


def variant_response(*, source: FieldFile, prefix: str, width: int, public: bool) -> HttpResponse:
    """``image_variant`` as a WebP response (404 when the source cannot be read). Its
    address carries the source's version (``?v=``): a public one is kept a year."""
    try:
        data = image_variant(source=source, prefix=prefix, width=width)
    except (OSError, ValueError) as exc:
        raise Http404("image unreadable") from exc
    response = HttpResponse(data, content_type="image/webp")
    response["Cache-Control"] = (
        f"public, max-age={YEAR}, immutable" if public else "private, max-age=3600"
    )
    return response
