"""The HTTP side of a file response: a file seen as one byte range, the range asked for
(Range, If-Range), If-None-Match, Content-Disposition."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import AsyncIterator
from typing import IO, Any
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.http import (
    FileResponse,
    HttpRequest,
)
from django.utils.http import parse_etags

BLOCK_SIZE = 64 * 1024

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeFile:
    """An open file seen as the bytes ``[start, start + length)`` only.

    Zero-copy: gunicorn's ``wsgi.file_wrapper`` path calls ``fileno()``, takes the
    descriptor's current kernel offset as the ``sendfile`` start and the response's
    ``Content-Length`` as the count. So the raw (unbuffered) file is positioned at
    ``start`` here, and the response overrides Content-Length to the range length.

    Without sendfile (gunicorn ``--no-sendfile`` or TLS, granian, the test client, ASGI)
    the server calls ``read()`` instead, which stops at the range end rather than
    reading to the end of the file.
    """

    mode = "rb"  # socket.sendfile() insists on a binary file

    def __init__(self, raw: IO[bytes], *, start: int, length: int, zero_copy: bool) -> None:
        self._raw = raw
        self._end = start + length
        self._zero_copy = zero_copy
        self.name = getattr(raw, "name", "")
        raw.seek(start)
        self._pos = start

    def fileno(self) -> int:
        if not self._zero_copy:
            # A storage's buffered file may have read ahead of its logical position, so
            # its descriptor's offset cannot be trusted for sendfile: stream it instead.
            raise io.UnsupportedOperation("fileno")
        return self._raw.fileno()

    def read(self, size: int | None = -1) -> bytes:
        remaining = self._end - self._pos
        if remaining <= 0:
            return b""
        if size is None or size < 0 or size > remaining:
            size = remaining
        data = self._raw.read(size)
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        # socket.sendfile() seeks to offset + bytes sent when done; keep the same view.
        self._pos = self._raw.seek(offset, whence)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._raw.close()


class Unsatisfiable(Exception):
    """The requested range lies outside the file: 416."""


class RangeFileResponse(FileResponse):
    """A FileResponse whose headers are set by ``file_response()``, never guessed.

    FileResponse.set_headers() measures the file by seeking to its end and would set
    Content-Length to the rest of the file; here the caller sets it to the range length.
    """

    block_size = BLOCK_SIZE

    def set_headers(self, filelike: Any) -> None:
        return None


def requested_range(request: HttpRequest, *, size: int, etag: str | None) -> tuple[int, int] | None:
    """``(start, length)`` of the one range asked for, or None for the whole file.

    Raises Unsatisfiable when the range starts past the end (answered with 416).

    RFC 9110 §14.2: Range is defined for GET only; a Range a server does not understand
    (another unit, bad syntax, several ranges) may be ignored, which means a 200.
    """
    header = request.META.get("HTTP_RANGE")
    if not header or request.method != "GET":
        return None
    if_range = request.META.get("HTTP_IF_RANGE")
    if if_range is not None and not if_range_holds(if_range, etag):
        return None
    match = RANGE_RE.match(header.replace(" ", "").replace("\t", ""))
    if match is None:
        return None
    first, last = match.groups()
    try:
        if first:
            start = int(first)
            end = int(last) if last else size - 1
            if last and end < start:
                return None
            if start >= size:
                raise Unsatisfiable
            end = min(end, size - 1)
        elif last:
            suffix = int(last)
            if suffix == 0 or size == 0:
                raise Unsatisfiable
            start, end = max(0, size - suffix), size - 1
        else:
            return None
    except ValueError:  # digits beyond int() limits: not a range we can honour
        return None
    return start, end - start + 1


def if_range_holds(if_range: str, etag: str | None) -> bool:
    # Strong comparison only (RFC 9110 §13.1.5); a date cannot be checked without
    # Last-Modified, so it counts as changed and the whole file is sent.
    if etag is None or etag.startswith("W/"):
        return False
    return if_range.strip() == etag


def none_match(request: HttpRequest, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header or request.method not in ("GET", "HEAD"):
        return False
    wanted = parse_etags(header)
    if wanted == ["*"]:
        return True
    # Weak comparison (RFC 9110 §13.1.2).
    ours = etag.removeprefix("W/")
    return any(candidate.removeprefix("W/") == ours for candidate in wanted)


async def aiter_file(body: RangeFile) -> AsyncIterator[bytes]:
    read = sync_to_async(body.read, thread_sensitive=False)
    try:
        while chunk := await read(BLOCK_SIZE):
            yield chunk
    finally:
        body.close()


def content_disposition(download_filename: str | None) -> str:
    """``inline``, or ``attachment`` with an ASCII fallback and the RFC 5987 UTF-8 name."""
    if download_filename is None:
        return "inline"
    name = download_filename.replace("\\", "/").rsplit("/", 1)[-1]
    # Control characters (CR, LF, ...) have no place in a header or a file name.
    name = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in name)
    name = " ".join(name.split()) or "download"
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    # Quotes and backslashes would end the quoted-string; '%' some browsers decode.
    fallback = re.sub(r'["\\%]', "_", fallback)
    fallback = " ".join(fallback.split())
    stem, dot, suffix = fallback.rpartition(".")
    if not dot:
        stem, suffix = fallback, ""
    if not any(ch.isalnum() for ch in stem):
        # Nothing readable survived (a name in another script): keep the extension.
        fallback = f"download.{suffix}" if suffix.isalnum() else "download"
    if fallback == name:
        return f'attachment; filename="{fallback}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
