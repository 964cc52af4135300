"""Exceptions raised by the audio toolkit.

Every failure carries a short human-readable ``reason`` meant to be shown to the band
uploading the file (e.g. ``"empty file"`` or ``"truncated: decodes to 1.2 s but its header
says 30.0 s"``).
"""

from __future__ import annotations


class AudioError(Exception):
    """An audio file could not be read, decoded or produced.

    ``reason`` is a short human-readable explanation, suitable for showing to a user.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class ArtworkError(AudioError):
    """An uploaded cover image was rejected (not an image, too large, corrupt...)."""


class AudioRejected(AudioError):
    """The file itself is at fault — truncated, or holding no decodable audio — so
    running the same work again cannot help (unlike a full disk or a killed ffmpeg)."""
