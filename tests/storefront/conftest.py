"""The public site's tests start with an empty page cache."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from PIL import Image


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def png_bytes(width: int = 1600, height: int = 1600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 60, 40)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def cover_file() -> ContentFile[bytes]:
    return ContentFile(png_bytes(), name="cover.png")
