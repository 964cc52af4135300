"""Cover uploads: decompression bombs and junk rejected, good images normalised."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from disquaire.audio import (
    ArtworkError,
    AudioError,
    TagSet,
    extract_embedded_cover,
    load_image,
    synth_cover,
    write_tags,
)

MAX_PIXELS = 50_000_000

if TYPE_CHECKING:
    from conftest import Transcoded  # the fixture's type, for readers and IDEs


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _encode(img: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def test_png_declaring_gigapixels_is_rejected_before_decoding() -> None:
    bomb = _png_header_only(100_000, 100_000)
    assert len(bomb) < 200
    with pytest.raises(ArtworkError) as caught:
        load_image(bomb, max_pixels=MAX_PIXELS)
    assert "too large" in caught.value.reason
    assert isinstance(caught.value, AudioError)


def test_image_over_our_pixel_limit_is_rejected_with_its_size() -> None:
    with pytest.raises(ArtworkError) as caught:
        load_image(_png_header_only(9000, 9000), max_pixels=MAX_PIXELS)
    assert caught.value.reason == (
        "image too large: 9000x9000 pixels (at most 50,000,000 pixels accepted)"
    )


def test_pillows_own_decompression_bomb_warning_is_a_rejection() -> None:
    # 225 Mpx: above Pillow's warning threshold though within our (huge) limit.
    with pytest.raises(ArtworkError, match="too large"):
        load_image(_png_header_only(15_000, 15_000), max_pixels=10**12)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty image file"),
        (b"just some text, not a picture", "not an image"),
        (b"%PDF-1.7\n" + b"\x00" * 100, "not an image"),
    ],
)
def test_non_images_are_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(ArtworkError, match=reason):
        load_image(data, max_pixels=MAX_PIXELS)


def test_truncated_jpeg_is_rejected() -> None:
    data = synth_cover(title="Cut", seed=1, size=400)
    with pytest.raises(ArtworkError, match="corrupt or truncated"):
        load_image(data[: len(data) // 2], max_pixels=MAX_PIXELS)


def test_transparent_png_is_flattened_on_white_and_capped_at_3000_px() -> None:
    img = Image.new("RGBA", (4000, 2000), (0, 0, 0, 0))
    img.paste((200, 0, 0, 255), (1000, 500, 3000, 1500))
    art = load_image(_encode(img, "PNG"), max_pixels=MAX_PIXELS)

    assert (art.width, art.height) == (3000, 1500)
    assert art.source_format == "PNG" and art.source_size == (4000, 2000)
    stored = Image.open(io.BytesIO(art.jpeg))
    assert stored.format == "JPEG" and stored.mode == "RGB" and stored.size == (3000, 1500)
    assert all(channel > 245 for channel in stored.getpixel((10, 10)))  # type: ignore[union-attr]


def test_embed_jpeg_is_at_most_1200_px_and_small_covers_are_kept() -> None:
    art = load_image(synth_cover(title="Big", seed=2, size=2000), max_pixels=MAX_PIXELS)
    embedded = Image.open(io.BytesIO(art.embed_jpeg()))
    assert embedded.format == "JPEG" and embedded.size == (1200, 1200)
    assert Image.open(io.BytesIO(art.embed_jpeg(max_side=300))).size == (300, 300)
    small = load_image(synth_cover(title="Small", seed=2, size=500), max_pixels=MAX_PIXELS)
    assert small.embed_jpeg() == small.jpeg


def test_exif_orientation_is_applied() -> None:
    img = Image.new("RGB", (200, 100), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    art = load_image(_encode(img, "JPEG", exif=exif), max_pixels=MAX_PIXELS)
    assert (art.width, art.height) == (100, 200)


def test_palette_and_grey_images_become_rgb_jpegs() -> None:
    for img in (Image.new("P", (64, 64), 3), Image.new("L", (64, 64), 128)):
        art = load_image(_encode(img, "GIF" if img.mode == "P" else "PNG"), max_pixels=10_000)
        assert Image.open(io.BytesIO(art.jpeg)).mode == "RGB"


def test_embedded_cover_is_extracted_from_audio(
    transcoded: Transcoded, tmp_path: Path, cover_jpeg: bytes
) -> None:
    path = tmp_path / "c.flac"
    path.write_bytes(transcoded.outputs["flac"].read_bytes())
    assert extract_embedded_cover(path) is None
    write_tags(path, format_key="flac", tags=TagSet(cover_jpeg=cover_jpeg))
    assert extract_embedded_cover(path) == cover_jpeg
