"""The one way a file leaves the project: streams for the player, paid downloads, artwork.

``file_response()`` is called *after* the caller has checked that the visitor may have
the file; it only decides how the bytes travel:

- **direct** (``DISQUAIRE_FILE_SERVING = "direct"``, the embedded mode): the app sends
  the file itself, with HTTP Range (206/416), ``If-Range``, ``If-None-Match`` (304) and
  HEAD. Local files go out zero-copy through gunicorn's ``sendfile``; see ``RangeFile``.
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
from typing import IO
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.handlers.asgi import ASGIRequest
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.utils.http import quote_etag

from disquaire.core.httpranges import (
    RANGE_RE,
    RangeFile,
    RangeFileResponse,
    Unsatisfiable,
    aiter_file,
    content_disposition,
    none_match,
    requested_range,
)
from disquaire.core.storage import storage_is_s3 as _is_s3

MODES = ("direct", "x-accel")


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
    if quoted_etag and none_match(request, quoted_etag):
        not_modified = HttpResponseNotModified()
        not_modified["ETag"] = quoted_etag
        not_modified["Cache-Control"] = _cache_control(max_age)
        return not_modified

    disposition = content_disposition(download_filename)
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
        match = RANGE_RE.match(header)
        return not (match and match.group(1) and match.group(1).strip("0"))
    # The range exactly as file_response will answer it (the same parser, the same
    # quoted ETag for If-Range): the whole file, or a range from byte 0, counts.
    try:
        requested = requested_range(request, size=size, etag=quote_etag(etag) if etag else None)
    except Unsatisfiable:
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
            byte_range = requested_range(request, size=size, etag=etag)
        except Unsatisfiable:
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
            body = RangeFile(raw, start=start, length=length, zero_copy=False)
            response = StreamingHttpResponse(aiter_file(body))
            response._resource_closers.append(body.close)  # type: ignore[attr-defined]
        else:
            body = RangeFile(raw, start=start, length=length, zero_copy=zero_copy)
            response = RangeFileResponse(body, content_type=content_type)
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
