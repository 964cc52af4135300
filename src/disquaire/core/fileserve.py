"""The one way a file leaves the project: streams for the player, paid downloads, artwork.

``file_response()`` is called *after* the caller has checked that the visitor may have
the file; it only decides how the bytes travel:

- **direct** (``DISQUAIRE_FILE_SERVING = "direct"``, the embedded mode): the app sends
  the file itself, with HTTP Range (206/416), ``If-Range``, ``If-None-Match`` (304) and
  HEAD. Local files go out zero-copy through gunicorn's ``sendfile``; see ``_RangeFile``.
- **x-accel** (``"x-accel"``, behind nginx): the app answers with ``X-Accel-Redirect``
  and nginx sends the file, Range included.
- **S3** (detected from the default storage's class, whatever the setting says): a 302 to
  a short-lived presigned URL; the object store does Range.

Files are served under WSGI only. Under ASGI, Django drains a synchronous file iterator
into memory before sending (PERF_NOTES: gigabytes for a few downloads), so an ASGI request
still gets a bounded asynchronous stream here, but it is a safety net, not a supported
way to serve files.

Settings (read with defaults, so none is required):
``DISQUAIRE_FILE_SERVING`` ("direct" | "x-accel"), ``DISQUAIRE_XACCEL_PREFIX``
("/_protected/"), ``DISQUAIRE_S3_URL_EXPIRY`` (300 seconds).
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from collections.abc import AsyncIterator
from typing import IO, Any
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.handlers.asgi import ASGIRequest
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.utils.http import parse_etags, quote_etag

from disquaire.core.storage import storage_is_s3 as _is_s3

MODES = ("direct", "x-accel")
BLOCK_SIZE = 64 * 1024

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class _RangeFile:
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


class _Unsatisfiable(Exception):
    """The requested range lies outside the file: 416."""


class _RangeFileResponse(FileResponse):
    """A FileResponse whose headers are set by ``file_response()``, never guessed.

    FileResponse.set_headers() measures the file by seeking to its end and would set
    Content-Length to the rest of the file; here the caller sets it to the range length.
    """

    block_size = BLOCK_SIZE

    def set_headers(self, filelike: Any) -> None:
        return None


def file_response(
    request: HttpRequest,
    *,
    name: str,
    content_type: str,
    download_filename: str | None = None,
    max_age: int = 0,
    etag: str | None = None,
) -> HttpResponseBase:
    """Answer ``request`` with the stored file ``name`` from the default storage.

    Call only after checking the visitor's entitlement. ``download_filename`` makes the
    response an attachment with that name (any Unicode), otherwise it is ``inline``.
    ``max_age`` goes into ``Cache-Control: private``; ``etag`` (quoted or bare) enables
    ``If-None-Match`` (304) and ``If-Range``. A multi-range request is answered with the
    whole file (200), which RFC 9110 allows. A missing local file raises Http404; on S3
    and behind nginx the object store or nginx answers 404 itself.
    """
    storage = storages["default"]
    quoted_etag = quote_etag(etag) if etag else None
    if quoted_etag and _none_match(request, quoted_etag):
        not_modified = HttpResponseNotModified()
        not_modified["ETag"] = quoted_etag
        not_modified["Cache-Control"] = _cache_control(max_age)
        return not_modified

    disposition = _content_disposition(download_filename)
    if _is_s3(storage):
        return _s3_redirect(storage, name=name, content_type=content_type, disposition=disposition)
    mode = _mode()
    if mode == "x-accel":
        return _x_accel(
            name=name, content_type=content_type, disposition=disposition, max_age=max_age
        )
    return _direct(
        request,
        storage,
        name=name,
        content_type=content_type,
        disposition=disposition,
        max_age=max_age,
        etag=quoted_etag,
    )


def file_response_grants_start(
    request: HttpRequest, *, size: int | None = None, etag: str | None = None
) -> bool:
    """Whether ``file_response(request, ...)`` for a file of ``size`` bytes would send
    its first byte, or hand out a URL that does: what a download limit must count.

    Decided from the range as parsed, never from the raw header: ``bytes=00-``, a suffix
    range as long as the file, a malformed or multi-range header (answered with the whole
    file) all count. HEAD sends nothing, except on S3, whose presigned URL opens the whole
    file to a GET whatever the request that got it. Behind nginx (x-accel), nginx judges
    ``If-Range`` against its own validators: a request carrying one counts.
    ``size`` unknown: any suffix range counts.
    """
    if _is_s3(storages["default"]):
        return True
    if request.method != "GET":
        return False
    if request.META.get("HTTP_IF_RANGE") is not None and _mode() == "x-accel":
        return True
    if size is None:
        # Unknown size: only a range that plainly starts past byte 0 sends nothing of it.
        header = request.META.get("HTTP_RANGE", "").replace(" ", "").replace("\t", "")
        match = _RANGE_RE.match(header)
        return not (match and match.group(1) and match.group(1).strip("0"))
    # The range exactly as file_response will answer it (the same parser, the same
    # quoted ETag for If-Range): the whole file, or a range from byte 0, counts.
    try:
        requested = _requested_range(request, size=size, etag=quote_etag(etag) if etag else None)
    except _Unsatisfiable:
        return False  # 416: nothing sent
    return requested is None or requested[0] == 0


def _mode() -> str:
    mode = settings.DISQUAIRE_FILE_SERVING or "direct"
    if mode not in MODES:
        raise ImproperlyConfigured(
            f"DISQUAIRE_FILE_SERVING must be one of {', '.join(MODES)}, got {mode!r}"
        )
    return str(mode)


def _cache_control(max_age: int) -> str:
    # These files are paid for or gated: never let a shared cache keep them.
    return f"private, max-age={max(0, int(max_age))}"


def _protect(
    response: HttpResponseBase, *, content_type: str, disposition: str, max_age: int
) -> None:
    response["Content-Type"] = content_type
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = _cache_control(max_age)
    response["X-Content-Type-Options"] = "nosniff"


# -- direct -----------------------------------------------------------------------------


def _direct(
    request: HttpRequest,
    storage: Storage,
    *,
    name: str,
    content_type: str,
    disposition: str,
    max_age: int,
    etag: str | None,
) -> HttpResponseBase:
    raw, size, zero_copy = _open(storage, name)
    try:
        try:
            byte_range = _requested_range(request, size=size, etag=etag)
        except _Unsatisfiable:
            raw.close()
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{size}"
            refused["Accept-Ranges"] = "bytes"
            refused["Cache-Control"] = _cache_control(max_age)
            refused["X-Content-Type-Options"] = "nosniff"
            return refused
        start, length = byte_range if byte_range is not None else (0, size)

        response: HttpResponseBase
        if request.method == "HEAD":
            raw.close()
            response = HttpResponse()
        elif isinstance(request, ASGIRequest):
            body = _RangeFile(raw, start=start, length=length, zero_copy=False)
            response = StreamingHttpResponse(_aiter_file(body))
            response._resource_closers.append(body.close)  # type: ignore[attr-defined]
        else:
            body = _RangeFile(raw, start=start, length=length, zero_copy=zero_copy)
            response = _RangeFileResponse(body, content_type=content_type)
    except BaseException:
        raw.close()
        raise

    if byte_range is not None:
        response.status_code = 206
        response["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
    # The sendfile count for gunicorn, and the length for everyone else.
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if etag:
        response["ETag"] = etag
    _protect(response, content_type=content_type, disposition=disposition, max_age=max_age)
    return response


def _local_open(path: str) -> IO[bytes]:
    # Unbuffered: the descriptor's kernel offset is exactly the logical position,
    # which is what gunicorn hands to sendfile.
    return io.FileIO(path, "rb")


def _open(storage: Storage, name: str) -> tuple[IO[bytes], int, bool]:
    """The open file, its size and whether sendfile may use its descriptor."""
    try:
        # Only a file system storage has real paths (InMemoryStorage has made-up ones).
        if isinstance(storage, FileSystemStorage):
            raw = _local_open(storage.path(name))
            try:
                return raw, os.fstat(raw.fileno()).st_size, True
            except BaseException:
                raw.close()
                raise
        handle = storage.open(name, "rb")
        try:
            return handle, int(storage.size(name)), False
        except BaseException:
            handle.close()
            raise
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise Http404("file not found") from exc


def _requested_range(
    request: HttpRequest, *, size: int, etag: str | None
) -> tuple[int, int] | None:
    """``(start, length)`` of the one range asked for, or None for the whole file.

    Raises _Unsatisfiable when the range starts past the end (answered with 416).

    RFC 9110 §14.2: Range is defined for GET only; a Range a server does not understand
    (another unit, bad syntax, several ranges) may be ignored, which means a 200.
    """
    header = request.META.get("HTTP_RANGE")
    if not header or request.method != "GET":
        return None
    if_range = request.META.get("HTTP_IF_RANGE")
    if if_range is not None and not _if_range_holds(if_range, etag):
        return None
    match = _RANGE_RE.match(header.replace(" ", "").replace("\t", ""))
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
                raise _Unsatisfiable
            end = min(end, size - 1)
        elif last:
            suffix = int(last)
            if suffix == 0 or size == 0:
                raise _Unsatisfiable
            start, end = max(0, size - suffix), size - 1
        else:
            return None
    except ValueError:  # digits beyond int() limits: not a range we can honour
        return None
    return start, end - start + 1


def _if_range_holds(if_range: str, etag: str | None) -> bool:
    # Strong comparison only (RFC 9110 §13.1.5); a date cannot be checked without
    # Last-Modified, so it counts as changed and the whole file is sent.
    if etag is None or etag.startswith("W/"):
        return False
    return if_range.strip() == etag


def _none_match(request: HttpRequest, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header or request.method not in ("GET", "HEAD"):
        return False
    wanted = parse_etags(header)
    if wanted == ["*"]:
        return True
    # Weak comparison (RFC 9110 §13.1.2).
    ours = etag.removeprefix("W/")
    return any(candidate.removeprefix("W/") == ours for candidate in wanted)


async def _aiter_file(body: _RangeFile) -> AsyncIterator[bytes]:
    read = sync_to_async(body.read, thread_sensitive=False)
    try:
        while chunk := await read(BLOCK_SIZE):
            yield chunk
    finally:
        body.close()


# -- x-accel ----------------------------------------------------------------------------


def _x_accel(*, name: str, content_type: str, disposition: str, max_age: int) -> HttpResponseBase:
    """Hand the file to nginx, which then does Range, If-Range and its own ETag.

    nginx keeps Content-Type, Content-Disposition, Cache-Control, Expires and Set-Cookie
    of this response and drops the others (X-Content-Type-Options, ETag), so the internal
    location must add ``nosniff`` itself::

        location /_protected/ {
            internal;
            alias /path/to/data/media/;
            add_header X-Content-Type-Options nosniff always;
        }
    """
    parts = name.replace("\\", "/").split("/")
    if not name or name.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise SuspiciousFileOperation(f"not a storage name: {name!r}")
    prefix = "/" + str(settings.DISQUAIRE_XACCEL_PREFIX).strip("/")
    response = HttpResponse()
    # nginx unescapes the URI; quoting keeps spaces, '?', '#', '%' and non-ASCII intact.
    response["X-Accel-Redirect"] = f"{prefix.rstrip('/')}/{quote(name, safe='/')}"
    _protect(response, content_type=content_type, disposition=disposition, max_age=max_age)
    return response


# -- S3 ---------------------------------------------------------------------------------


def _s3_redirect(
    storage: Storage, *, name: str, content_type: str, disposition: str
) -> HttpResponseBase:
    expiry = int(settings.DISQUAIRE_S3_URL_EXPIRY)
    url = storage.url(  # type: ignore[call-arg]
        name,
        parameters={
            "ResponseContentDisposition": disposition,
            "ResponseContentType": content_type,
        },
        expire=expiry,
    )
    response = HttpResponseRedirect(url)
    # The URL dies after `expiry` seconds: a cached redirect would outlive it.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# -- Content-Disposition ----------------------------------------------------------------


def _content_disposition(download_filename: str | None) -> str:
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
