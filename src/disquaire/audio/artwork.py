"""Cover artwork: validating uploads safely, normalising them, extracting embedded ones.

``load_image`` reads only the image header before deciding: an image declaring more than
``max_pixels`` pixels (a "decompression bomb", e.g. a tiny PNG claiming 100000 x 100000)
is rejected before any pixel is decompressed. Pillow's own decompression-bomb error and
warning are turned into rejections too (without touching Pillow's global limit).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from disquaire.audio.errors import ArtworkError
from disquaire.audio.tag_reading import read_cover

__all__ = [
    "ACCEPTED_IMAGE_FORMATS",
    "EMBED_MAX_SIDE",
    "STORED_MAX_SIDE",
    "Artwork",
    "extract_embedded_cover",
    "load_image",
]

ACCEPTED_IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
STORED_MAX_SIDE = 3000
EMBED_MAX_SIDE = 1200
STORED_QUALITY = 90
EMBED_QUALITY = 88


@dataclass(frozen=True)
class Artwork:
    """A validated cover, normalised to an RGB JPEG of at most ``STORED_MAX_SIDE`` px.

    Attributes:
        jpeg: the normalised JPEG (the stored cover).
        width: its width in pixels.
        height: its height in pixels.
        source_format: the uploaded image's format (``"PNG"``...).
        source_size: the uploaded image's (width, height).
    """

    jpeg: bytes
    width: int
    height: int
    source_format: str
    source_size: tuple[int, int]

    def embed_jpeg(self, *, max_side: int = EMBED_MAX_SIDE) -> bytes:
        """A JPEG of at most ``max_side`` px per side, for embedding in audio files."""
        if max(self.width, self.height) <= max_side:
            return self.jpeg
        with Image.open(io.BytesIO(self.jpeg)) as img:
            img.draft("RGB", (max_side, max_side))
            small = img.convert("RGB")
        small.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        return _jpeg_bytes(small, quality=EMBED_QUALITY)


def _jpeg_bytes(img: Image.Image, *, quality: int) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def _to_rgb(img: Image.Image) -> Image.Image:
    """Convert to RGB, flattening any transparency onto white."""
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return img if img.mode == "RGB" else img.convert("RGB")


def load_image(data: bytes, *, max_pixels: int, max_side: int = STORED_MAX_SIDE) -> Artwork:
    """Validate an uploaded cover and normalise it to an RGB JPEG (quality 90).

    Rejects with ``ArtworkError`` (whose ``reason`` says why): empty data, data that is
    not an image in ``ACCEPTED_IMAGE_FORMATS``, an image declaring more than
    ``max_pixels`` pixels (checked from the header, before decompressing), Pillow's own
    decompression-bomb guard, and corrupt or truncated images. The result is rotated
    per its EXIF orientation and scaled down to at most ``max_side`` px per side.
    """
    if not data:
        raise ArtworkError("empty image file")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=ACCEPTED_IMAGE_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ArtworkError(f"image too large to process safely ({exc})") from exc
        except UnidentifiedImageError as exc:
            raise ArtworkError(
                "not an image (or not a supported format: JPEG, PNG, WebP, GIF, BMP, TIFF)"
            ) from exc
        except Exception as exc:
            raise ArtworkError(f"unreadable image ({exc})") from exc
        with img:
            width, height = img.size
            if width <= 0 or height <= 0:
                raise ArtworkError("image has no pixels")
            if width * height > max_pixels:
                raise ArtworkError(
                    f"image too large: {width}x{height} pixels "
                    f"(at most {max_pixels:,} pixels accepted)"
                )
            source_format = str(img.format)
            try:
                if img.format == "JPEG":
                    img.draft("RGB", (max_side, max_side))  # DCT scaling: decode less
                img.load()
                oriented = ImageOps.exif_transpose(img)
                rgb = _to_rgb(oriented)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise ArtworkError(f"image too large to process safely ({exc})") from exc
            except (OSError, SyntaxError, ValueError) as exc:
                raise ArtworkError(f"corrupt or truncated image ({exc})") from exc
    rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return Artwork(
        jpeg=_jpeg_bytes(rgb, quality=STORED_QUALITY),
        width=rgb.width,
        height=rgb.height,
        source_format=source_format,
        source_size=(width, height),
    )


def extract_embedded_cover(path: Path) -> bytes | None:
    """The cover embedded in a supported audio file (raw image bytes), or None."""
    return read_cover(Path(path))
