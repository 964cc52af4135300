"""file_response(): Range, conditional requests, HEAD, x-accel, S3 and a real gunicorn."""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import io
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.signals import request_finished
from django.db import close_old_connections
from django.http import Http404
from django.http.response import HttpResponseBase
from django.test import AsyncRequestFactory, RequestFactory

from disquaire.core import fileserve
from disquaire.core.fileserve import file_response
from tests.serving import free_port

SIZE = 100_000
ETAG = '"rev-1"'


def _data(size: int, seed: int = 1) -> bytes:
    """Deterministic bytes in which every offset differs from its neighbours."""
    block = hashlib.sha256(str(seed).encode()).digest()
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(block + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:size])


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def _no_database_on_close() -> Iterator[None]:
    """Closing a response sends request_finished, whose handler touches the database.

    Django's test client unhooks it the same way; these tests call views directly and
    never use the database (a db test run earlier may have left a connection open).
    """
    request_finished.disconnect(close_old_connections)
    yield
    request_finished.connect(close_old_connections)


@pytest.fixture
def stored() -> tuple[str, bytes]:
    data = _data(SIZE)
    name = default_storage.save("tracks/song.flac", ContentFile(data))
    return name, data


def _get(name: str, method: str = "get", **kwargs: Any) -> HttpResponseBase:
    headers = {key: kwargs.pop(key) for key in list(kwargs) if key.startswith("HTTP_")}
    request = getattr(RequestFactory(), method)("/file", **headers)
    return file_response(
        request,
        name=name,
        content_type=kwargs.pop("content_type", "audio/flac"),
        etag=kwargs.pop("etag", ETAG),
        **kwargs,
    )


def _body(response: HttpResponseBase) -> bytes:
    try:
        if response.streaming:
            return b"".join(response.streaming_content)  # type: ignore[attr-defined]
        return bytes(response.content)  # type: ignore[attr-defined]
    finally:
        response.close()


# -- direct: whole file and ranges ------------------------------------------------------


def test_get_without_range_sends_whole_file_with_its_length(stored: tuple[str, bytes]) -> None:
    name, data = stored
    response = _get(name)
    assert response.status_code == 200
    assert response["Content-Length"] == str(SIZE)
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "audio/flac"
    assert response["ETag"] == ETAG
    assert "Content-Range" not in response
    assert _sha(_body(response)) == _sha(data)


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=0-99", 0, 99),
        ("bytes=1000-1999", 1000, 1999),
        ("bytes=12345-", 12345, SIZE - 1),
        ("bytes=0-", 0, SIZE - 1),
        ("bytes=-500", SIZE - 500, SIZE - 1),
        ("bytes=-1", SIZE - 1, SIZE - 1),
        (f"bytes={SIZE - 1}-{SIZE - 1}", SIZE - 1, SIZE - 1),
        ("bytes=90000-999999999", 90000, SIZE - 1),  # end past the file: clamped
        ("bytes=-999999999", 0, SIZE - 1),  # suffix longer than the file: all of it
        ("bytes = 10 - 20", 10, 20),  # whitespace tolerated
    ],
)
def test_each_range_form_answers_206_byte_exact(
    stored: tuple[str, bytes], header: str, start: int, end: int
) -> None:
    name, data = stored
    response = _get(name, HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert response["Content-Length"] == str(end - start + 1)
    assert response["Accept-Ranges"] == "bytes"
    body = _body(response)
    assert len(body) == end - start + 1
    assert _sha(body) == _sha(data[start : end + 1])


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE}-{SIZE + 10}", "bytes=-0"])
def test_range_outside_the_file_answers_416_with_its_size(
    stored: tuple[str, bytes], header: str
) -> None:
    name, _ = stored
    response = _get(name, HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"
    assert _body(response) == b""


@pytest.mark.parametrize("header", ["bytes=0-", "bytes=-10"])
def test_any_range_of_an_empty_file_answers_416(header: str) -> None:
    name = default_storage.save("empty.bin", ContentFile(b""))
    response = _get(name, HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */0"


def test_empty_file_without_range_answers_200_empty() -> None:
    name = default_storage.save("empty.bin", ContentFile(b""))
    response = _get(name)
    assert response.status_code == 200
    assert response["Content-Length"] == "0"
    assert _body(response) == b""


@pytest.mark.parametrize(
    "header",
    ["bytes=0-1,5-6", "bytes=0-1, 5-6", "items=0-1", "bytes=5-2", "bytes=abc", "bytes=-", ""],
)
def test_multi_range_or_unparseable_range_gets_whole_file(
    stored: tuple[str, bytes], header: str
) -> None:
    name, data = stored
    response = _get(name, HTTP_RANGE=header)
    assert response.status_code == 200
    assert response["Content-Length"] == str(SIZE)
    assert _sha(_body(response)) == _sha(data)


def test_head_sends_headers_of_the_whole_file_and_no_body(stored: tuple[str, bytes]) -> None:
    name, _ = stored
    response = _get(name, method="head", HTTP_RANGE="bytes=0-9")  # Range is for GET only
    assert response.status_code == 200
    assert response["Content-Length"] == str(SIZE)
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] == ETAG
    assert _body(response) == b""


def test_if_range_with_current_etag_honours_range(stored: tuple[str, bytes]) -> None:
    name, data = stored
    response = _get(name, HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=ETAG)
    assert response.status_code == 206
    assert _body(response) == data[10:20]


@pytest.mark.parametrize(
    "if_range", ['"rev-0"', 'W/"rev-1"', "Wed, 21 Oct 2015 07:28:00 GMT", "garbage"]
)
def test_if_range_that_does_not_match_strongly_sends_whole_file(
    stored: tuple[str, bytes], if_range: str
) -> None:
    name, data = stored
    response = _get(name, HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=if_range)
    assert response.status_code == 200
    assert _sha(_body(response)) == _sha(data)


def test_if_range_without_etag_sends_whole_file(stored: tuple[str, bytes]) -> None:
    name, _ = stored
    response = _get(name, HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=ETAG, etag=None)
    assert response.status_code == 200
    assert "ETag" not in response
    response.close()


def test_bare_etag_is_quoted_and_matches_its_quoted_form(stored: tuple[str, bytes]) -> None:
    name, _ = stored
    response = _get(name, etag="rev-1", HTTP_IF_NONE_MATCH='"rev-1"')
    assert response.status_code == 304
    assert response["ETag"] == '"rev-1"'


@pytest.mark.parametrize("if_none_match", [ETAG, f'"other", {ETAG}', 'W/"rev-1"', "*"], ids=str)
@pytest.mark.parametrize("method", ["get", "head"])
def test_if_none_match_answers_304_without_body(
    stored: tuple[str, bytes], if_none_match: str, method: str
) -> None:
    name, _ = stored
    response = _get(
        name, method=method, HTTP_IF_NONE_MATCH=if_none_match, HTTP_RANGE="bytes=0-9", max_age=60
    )
    assert response.status_code == 304
    assert response["ETag"] == ETAG
    assert response["Cache-Control"] == "private, max-age=60"
    assert _body(response) == b""


def test_if_none_match_with_other_etag_sends_file(stored: tuple[str, bytes]) -> None:
    name, data = stored
    response = _get(name, HTTP_IF_NONE_MATCH='"rev-0"')
    assert response.status_code == 200
    assert _body(response) == data


def test_missing_local_file_raises_404() -> None:
    with pytest.raises(Http404):
        _get("tracks/nope.flac")


# -- direct: bounded reads and the sendfile contract ------------------------------------


class CountingFileIO(io.FileIO):
    """A real file that counts what Python reads from it."""

    def __init__(self, path: str, mode: str = "rb") -> None:
        super().__init__(path, mode)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data


@pytest.fixture
def counted_opens(monkeypatch: pytest.MonkeyPatch) -> list[CountingFileIO]:
    opened: list[CountingFileIO] = []

    def open_counting(path: str) -> CountingFileIO:
        handle = CountingFileIO(path)
        opened.append(handle)
        return handle

    monkeypatch.setattr(fileserve, "_local_open", open_counting)
    return opened


def test_first_byte_of_20_mb_file_reads_one_byte_not_the_file(
    isolated_files: Path, counted_opens: list[CountingFileIO]
) -> None:
    size = 20 * 1024 * 1024
    path = isolated_files / "big" / "album.flac"
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        handle.write(b"\x01" + _data(4095))
        handle.truncate(size)
    response = _get("big/album.flac", HTTP_RANGE="bytes=0-0")
    assert response["Content-Length"] == "1"
    assert _body(response) == b"\x01"
    assert counted_opens[0].bytes_read <= 64 * 1024


def test_middle_range_of_20_mb_file_reads_only_the_range(
    isolated_files: Path, counted_opens: list[CountingFileIO]
) -> None:
    size = 20 * 1024 * 1024
    path = isolated_files / "big.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(size)
    response = _get("big.bin", HTTP_RANGE="bytes=5000000-5099999")
    assert len(_body(response)) == 100_000
    assert counted_opens[0].bytes_read == 100_000
    assert counted_opens[0].closed


def test_range_response_hands_sendfile_a_descriptor_positioned_at_the_range_start(
    stored: tuple[str, bytes],
) -> None:
    """gunicorn sends Content-Length bytes from the descriptor's current kernel offset."""
    name, _ = stored
    response = _get(name, HTTP_RANGE="bytes=4096-8191")
    filelike = response.file_to_stream  # type: ignore[attr-defined]
    fd = filelike.fileno()
    assert os.lseek(fd, 0, os.SEEK_CUR) == 4096
    assert response["Content-Length"] == "4096"
    assert filelike.mode == "rb"
    response.close()


def test_storage_without_local_paths_streams_ranges_byte_exact(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    data = _data(SIZE, seed=3)
    name = default_storage.save("mem/track.flac", ContentFile(data))
    response = _get(name, HTTP_RANGE="bytes=777-70000")
    assert response.status_code == 206
    assert _sha(_body(response)) == _sha(data[777:70001])
    # No descriptor to trust: servers must read (bounded) instead of sendfile.
    response = _get(name)
    with pytest.raises(io.UnsupportedOperation):
        response.file_to_stream.fileno()  # type: ignore[attr-defined]
    response.close()


def test_asgi_request_gets_an_async_bounded_stream(stored: tuple[str, bytes]) -> None:
    """Django's ASGI handler would drain a sync file iterator into memory."""
    name, data = stored
    request = AsyncRequestFactory().get("/file", headers={"Range": "bytes=100-65999"})
    response = file_response(request, name=name, content_type="audio/flac")
    assert response.status_code == 206
    assert response.is_async  # type: ignore[attr-defined]

    async def consume() -> bytes:
        parts = [part async for part in response]  # type: ignore[attr-defined]
        return b"".join(parts)

    body = asyncio.run(consume())
    response.close()
    assert _sha(body) == _sha(data[100:66000])


# -- headers ----------------------------------------------------------------------------


def test_inline_private_nosniff_by_default(stored: tuple[str, bytes]) -> None:
    name, _ = stored
    response = _get(name, max_age=3600)
    assert response["Content-Disposition"] == "inline"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_ascii_download_filename_is_a_plain_attachment(stored: tuple[str, bytes]) -> None:
    name, _ = stored
    response = _get(name, download_filename="Track 01.flac")
    assert response["Content-Disposition"] == 'attachment; filename="Track 01.flac"'
    response.close()


def test_unicode_download_filename_has_ascii_fallback_and_utf8_name(
    stored: tuple[str, bytes],
) -> None:
    name, _ = stored
    title = "Été à Montréal — 夏.flac"
    response = _get(name, download_filename=title)
    header = response["Content-Disposition"]
    response.close()
    header.encode("ascii")  # a header value the whole world can read
    assert header.startswith('attachment; filename="Ete a Montreal .flac"; ')
    encoded = header.split("filename*=", 1)[1]
    assert encoded.startswith("UTF-8''")
    assert urllib.parse.unquote(encoded.removeprefix("UTF-8''")) == title


def test_download_filename_cannot_inject_headers_quotes_or_paths(
    stored: tuple[str, bytes],
) -> None:
    name, _ = stored
    response = _get(name, download_filename='../../etc/a"b\\c\r\nSet-Cookie: x=1.flac')
    header = response["Content-Disposition"]
    response.close()
    assert "\r" not in header and "\n" not in header
    assert "/" not in header.split("filename*=")[0]
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback == "c Set-Cookie: x=1.flac"


def test_download_filename_with_nothing_ascii_falls_back_to_download(
    stored: tuple[str, bytes],
) -> None:
    name, _ = stored
    response = _get(name, download_filename="夏.flac")
    assert response["Content-Disposition"].startswith('attachment; filename="download.flac"; ')
    response.close()


# -- x-accel ----------------------------------------------------------------------------


def test_x_accel_mode_answers_with_redirect_header_and_no_body(settings: Any) -> None:
    settings.DISQUAIRE_FILE_SERVING = "x-accel"
    # The file need not exist locally: nginx reads it.
    response = _get("tracks/Été #1?.flac", download_filename="Été.flac", max_age=30)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/_protected/tracks/%C3%89t%C3%A9%20%231%3F.flac"
    assert response["Content-Type"] == "audio/flac"
    assert response["Content-Disposition"].startswith('attachment; filename="Ete.flac"; ')
    assert response["Cache-Control"] == "private, max-age=30"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert _body(response) == b""


def test_x_accel_prefix_comes_from_settings(settings: Any) -> None:
    settings.DISQUAIRE_FILE_SERVING = "x-accel"
    settings.DISQUAIRE_XACCEL_PREFIX = "/internal/media"
    response = _get("a/b.mp3", content_type="audio/mpeg")
    assert response["X-Accel-Redirect"] == "/internal/media/a/b.mp3"
    assert response["Content-Disposition"] == "inline"


def test_x_accel_still_answers_304_for_a_matching_etag(settings: Any) -> None:
    settings.DISQUAIRE_FILE_SERVING = "x-accel"
    response = _get("a/b.mp3", HTTP_IF_NONE_MATCH=ETAG)
    assert response.status_code == 304
    assert "X-Accel-Redirect" not in response


@pytest.mark.parametrize("name", ["../secret", "a/../../b", "/etc/passwd", "a//b", ""])
def test_x_accel_refuses_names_that_leave_the_storage(settings: Any, name: str) -> None:
    settings.DISQUAIRE_FILE_SERVING = "x-accel"
    with pytest.raises(SuspiciousFileOperation):
        _get(name)


def test_unknown_serving_mode_is_a_configuration_error(
    settings: Any, stored: tuple[str, bytes]
) -> None:
    settings.DISQUAIRE_FILE_SERVING = "sendfile"
    with pytest.raises(ImproperlyConfigured):
        _get(stored[0])


# -- S3 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("signature_version", [None, "s3v4"])
def test_s3_redirects_to_short_lived_presigned_url_serving_the_file(
    settings: Any, s3_storage: str, signature_version: str | None
) -> None:
    if signature_version:
        default = settings.STORAGES["default"]
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                **default,
                "OPTIONS": {**default["OPTIONS"], "signature_version": signature_version},
            },
        }
    settings.DISQUAIRE_FILE_SERVING = "x-accel"  # S3 storage wins over the mode
    settings.DISQUAIRE_S3_URL_EXPIRY = 120
    data = _data(SIZE, seed=7)
    name = default_storage.save("tracks/Été.flac", ContentFile(data))
    response = _get(name, download_filename="Été 1.flac", HTTP_RANGE="bytes=0-9")
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    url = response["Location"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    if signature_version == "s3v4":
        assert query["X-Amz-Expires"] == ["120"]
        assert "X-Amz-Signature" in query
    else:  # SigV2: what botocore picks here unless the storage asks for s3v4
        assert "Signature" in query
        assert abs(int(query["Expires"][0]) - (time.time() + 120)) < 10
    disposition = query["response-content-disposition"][0]
    assert disposition.startswith('attachment; filename="Ete 1.flac"; filename*=UTF-8')
    assert query["response-content-type"] == ["audio/flac"]

    with urllib.request.urlopen(url, timeout=10) as fetched:
        assert _sha(fetched.read()) == _sha(data)
        assert fetched.headers["Content-Disposition"] == disposition
        assert fetched.headers["Content-Type"] == "audio/flac"
    ranged = urllib.request.Request(url, headers={"Range": "bytes=1000-1999"})
    with urllib.request.urlopen(ranged, timeout=10) as fetched:
        assert fetched.status == 206
        assert fetched.read() == data[1000:2000]


def test_s3_url_is_refused_once_its_signature_is_tampered_with(s3_storage: str) -> None:
    name = default_storage.save("tracks/x.flac", ContentFile(b"secret"))
    url = _get(name)["Location"]
    tampered = url.replace("tracks/x.flac", "tracks/y.flac")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(tampered, timeout=10)
    assert refused.value.code == 403


# -- a real gunicorn --------------------------------------------------------------------

GUNICORN_APP = """
import io
import os

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="gunicorn-test-" * 4,
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
    # Our settings have their defaults in config/settings.py alone: name the one read here.
    DISQUAIRE_FILE_SERVING="direct",
    STORAGES={
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": os.environ["FILESERVE_MEDIA"]},
        }
    },
)
django.setup()

from django.core.wsgi import get_wsgi_application
from django.http import JsonResponse
from django.urls import path

from disquaire.core import fileserve

READ = [0]


class CountingFileIO(io.FileIO):
    def read(self, size=-1):
        data = super().read(size)
        READ[0] += len(data)
        return data


fileserve._local_open = lambda p: CountingFileIO(p, "rb")


def serve(request, name):
    return fileserve.file_response(request, name=name, content_type="audio/flac", etag='"v1"')


def bytes_read(request):
    return JsonResponse({"read": READ[0]})


urlpatterns = [path("f/<path:name>", serve), path("read", bytes_read)]
application = get_wsgi_application()
"""


@pytest.fixture
def gunicorn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[int, Path, bool]]:
    worker_class, sendfile = request.param
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "fileserve_app.py").write_text(textwrap.dedent(GUNICORN_APP))
    media = tmp_path / "gmedia"
    media.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["FILESERVE_MEDIA"] = str(media)
    command = [
        sys.executable, "-m", "gunicorn", "--pythonpath", str(app_dir),
        "-b", f"127.0.0.1:{port}", "-w", "1", "-k", worker_class, "--threads", "2",
        "--log-level", "warning", "fileserve_app:application",
    ]  # fmt: skip
    if not sendfile:
        command.insert(-1, "--no-sendfile")
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {process.stderr.read().decode()}")  # type: ignore[union-attr]
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.05)
        yield port, media, sendfile
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _python_bytes_read(port: int) -> int:
    import json

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/read", timeout=5) as response:
        return int(json.load(response)["read"])


@pytest.mark.parametrize(
    "gunicorn",
    [("gthread", True), ("sync", True), ("gthread", False)],
    ids=["gthread-sendfile", "sync-sendfile", "gthread-no-sendfile"],
    indirect=True,
)
def test_real_gunicorn_serves_ranges_byte_exact(gunicorn: tuple[int, Path, bool]) -> None:
    port, media, sendfile = gunicorn
    size = 2 * 1024 * 1024
    data = _data(size, seed=11)
    (media / "two.flac").write_bytes(data)
    cases: list[tuple[str | None, int, int, int]] = [
        (None, 200, 0, size - 1),
        ("bytes=0-0", 206, 0, 0),
        ("bytes=1000-1999", 206, 1000, 1999),
        ("bytes=1048576-", 206, 1048576, size - 1),
        ("bytes=-500", 206, size - 500, size - 1),
        (f"bytes={size - 1}-{size - 1}", 206, size - 1, size - 1),
        ("bytes=0-1,5-6", 200, 0, size - 1),
        ("bytes=12345-67890", 206, 12345, 67890),
    ]
    # One keep-alive connection for every request: a wrong Content-Length or a byte too
    # many would corrupt the next response.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    sent = 0
    try:
        for header, status, start, end in cases:
            connection.request("GET", "/f/two.flac", headers={"Range": header} if header else {})
            response = connection.getresponse()
            body = response.read()
            assert response.status == status, header
            assert int(response.headers["Content-Length"]) == end - start + 1
            assert _sha(body) == _sha(data[start : end + 1]), header
            if status == 206:
                assert response.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
            sent += len(body)

        connection.request("GET", "/f/two.flac", headers={"Range": f"bytes={size}-"})
        refused = connection.getresponse()
        assert refused.read() == b""
        assert refused.status == 416
        assert refused.headers["Content-Range"] == f"bytes */{size}"

        connection.request("HEAD", "/f/two.flac")
        head = connection.getresponse()
        assert head.read() == b""
        assert head.status == 200
        assert head.headers["Content-Length"] == str(size)
    finally:
        connection.close()

    if sendfile:
        # Zero-copy: the kernel sent every byte, Python read none.
        assert _python_bytes_read(port) == 0
    else:
        # Read by Python, but only the ranges asked for, never to the end of the file.
        assert _python_bytes_read(port) == sent
