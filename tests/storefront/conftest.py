"""Fixtures for the public site's tests (images)."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image


def png_bytes(width: int = 1600, height: int = 1600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 60, 40)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def cover_file() -> ContentFile[bytes]:
    return ContentFile(png_bytes(), name="cover.png")
