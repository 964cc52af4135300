"""The WSGI front of the page cache: hits answered before Django, everything else not."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponse

from disquaire.config.wsgi import django_application
from disquaire.storefront.fastpath import PageFastPath
from tests.factories import ReleaseFactory, TrackFactory
from tests.storefront.factories import ConcertFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def front() -> Iterator[PageFastPath]:
    # As Django's test client does: the request signals must not close the test's
    # transaction-wrapped connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield PageFastPath(django_application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = {name.lower(): value for name, value in headers}
        self.header_list = headers
        self.body = body

    @property
    def code(self) -> int:
        return int(self.status.split()[0])


def call(app: Any, path: str, *, method: str = "GET", query: str = "", **headers: str) -> Answer:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        environ[f"HTTP_{name.upper()}"] = value
    sent: list[Any] = []

    def start_response(status: str, header_list: list[Any], exc_info: Any = None) -> Any:
        sent[:] = [status, header_list]
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return Answer(sent[0], sent[1], body)


@pytest.fixture
def django_calls() -> Iterator[list[object]]:
    """Every request that reached Django's request cycle."""
    seen: list[object] = []

    def count(sender: object, **kwargs: object) -> None:
        seen.append(sender)

    request_started.connect(count)
    try:
        yield seen
    finally:
        request_started.disconnect(count)


def test_second_visit_is_answered_without_django(
    front: PageFastPath, django_calls: list[object], django_assert_num_queries: Any
) -> None:
    release = ReleaseFactory()
    TrackFactory(release=release)
    url = release.get_absolute_url()

    first = call(front, url)
    assert first.code == 200 and first.headers["x-page-cache"] == "miss"
    assert len(django_calls) == 1

    with django_assert_num_queries(0):
        second = call(front, url)

    assert len(django_calls) == 1, "the second visit went through Django"
    assert second.headers["x-page-cache"] == "hit"
    assert second.body == first.body
    # The same headers Django sent: security headers, CSP, Vary, length, language.
    same = {k: v for k, v in first.headers.items() if k != "x-page-cache"}
    assert {k: v for k, v in second.headers.items() if k != "x-page-cache"} == same
    assert second.headers["content-security-policy"]
    assert second.headers["content-length"] == str(len(second.body))


def test_an_edit_is_seen_at_once(front: PageFastPath) -> None:
    release = ReleaseFactory(title="Before")
    url = release.get_absolute_url()
    call(front, url)
    call(front, url)
    release.title = "After"
    release.save()

    answer = call(front, url)

    assert answer.headers["x-page-cache"] == "miss"
    assert "After" in answer.body.decode()


def test_a_concert_added_refreshes_the_artist_page(front: PageFastPath) -> None:
    release = ReleaseFactory()
    url = f"/{release.artist.slug}/"
    call(front, url)
    ConcertFactory(artist=release.artist, venue="La Cigale")

    assert "La Cigale" in call(front, url).body.decode()


def test_a_page_taken_down_is_not_served(front: PageFastPath) -> None:
    release = ReleaseFactory()
    url = release.get_absolute_url()
    call(front, url)
    release.visibility = release.Visibility.DRAFT
    release.save()

    assert call(front, url).code == 404


def test_each_language_gets_its_own_page(front: PageFastPath) -> None:
    release = ReleaseFactory()
    url = release.get_absolute_url()
    english = call(front, url, accept_language="en-GB,en;q=0.8")
    call(front, url, accept_language="fr-FR,fr;q=0.9")
    french = call(front, url, accept_language="fr-FR,fr;q=0.9")
    by_cookie = call(front, url, cookie=f"{settings.LANGUAGE_COOKIE_NAME}=fr")

    assert english.headers["content-language"] == "en"
    assert french.headers["content-language"] == "fr"
    assert french.headers["x-page-cache"] == "hit"
    assert by_cookie.headers["content-language"] == "fr"
    assert by_cookie.body == french.body != english.body


@pytest.mark.parametrize(
    ("how", "kwargs"),
    [
        ("a session cookie", {"cookie": f"{settings.SESSION_COOKIE_NAME}=abc"}),
        ("a messages cookie", {"cookie": "messages=abc"}),
        ("a query string", {"query": "ref=poster"}),
        ("a referrer from another site", {"referer": "https://blog.example.net/post"}),
        ("a HEAD request", {"method": "HEAD"}),
    ],
)
def test_requests_that_need_django_go_through_it(
    front: PageFastPath, django_calls: list[object], how: str, kwargs: dict[str, str]
) -> None:
    release = ReleaseFactory()
    url = release.get_absolute_url()
    call(front, url)
    call(front, url)
    before = len(django_calls)

    call(front, url, **kwargs)

    assert len(django_calls) == before + 1, f"{how} was answered without Django"


def test_a_referrer_from_another_site_is_remembered_for_checkout(front: PageFastPath) -> None:
    release = ReleaseFactory()
    url = release.get_absolute_url()
    call(front, url)

    answer = call(front, url, referer="https://blog.example.net/post")

    assert "set-cookie" in answer.headers  # the session now holds the origin
    assert answer.headers["cache-control"] == "private, no-store"


def _page_app(adjust: Any) -> tuple[Any, list[int]]:
    """A WSGI app answering like the page cache does (a marked, public, English page),
    after ``adjust(response)``; and the list of its calls."""
    calls: list[int] = []

    def app(environ: dict[str, Any], start_response: Any) -> HttpResponse:
        calls.append(1)
        response = HttpResponse(b"<p>page</p>", content_type="text/html")
        response["Cache-Control"] = "public, max-age=60"
        response["Content-Language"] = "en"
        response.page_cache = ("all", 1)  # type: ignore[attr-defined]
        adjust(response)
        headers = [*response.items()]
        headers += [("Set-Cookie", c.output(header="")) for c in response.cookies.values()]
        start_response(f"{response.status_code} OK", headers)
        return response

    return app, calls


def test_a_page_answer_is_kept_when_nothing_forbids_it() -> None:
    app, calls = _page_app(lambda response: None)
    front = PageFastPath(app)
    with patch("disquaire.storefront.fastpath.generation", return_value=1):
        call(front, "/page/")
        call(front, "/page/")
    assert len(calls) == 1


@pytest.mark.parametrize(
    "adjust",
    [
        pytest.param(lambda r: r.set_cookie("visit", "1"), id="sets a cookie"),
        pytest.param(lambda r: r.__setitem__("Cache-Control", "private"), id="private"),
        pytest.param(lambda r: r.__setitem__("Content-Language", "fr"), id="other language"),
        pytest.param(lambda r: delattr(r, "page_cache"), id="not from the page cache"),
    ],
)
def test_answers_that_must_not_be_shared_are_never_kept(adjust: Any) -> None:
    app, calls = _page_app(adjust)
    front = PageFastPath(app)
    with patch("disquaire.storefront.fastpath.generation", return_value=1):
        call(front, "/page/")
        call(front, "/page/")
    assert len(calls) == 2


def test_own_site_referrer_still_takes_the_fast_path(
    front: PageFastPath, django_calls: list[object]
) -> None:
    release = ReleaseFactory()
    url = release.get_absolute_url()
    call(front, url)
    before = len(django_calls)

    call(front, url, referer="http://testserver/")

    assert len(django_calls) == before


def test_pages_that_are_not_public_are_never_kept(
    front: PageFastPath, django_calls: list[object]
) -> None:
    call(front, "/cart/")
    call(front, "/cart/")
    call(front, "/no-such-band/")
    call(front, "/no-such-band/")

    assert len(django_calls) == 4


def test_memory_is_bounded(front: PageFastPath) -> None:
    first, second = ReleaseFactory(), ReleaseFactory()
    size = len(call(front, first.get_absolute_url()).body)
    small = PageFastPath(django_application, max_bytes=size * 3 // 2)

    call(small, first.get_absolute_url())
    call(small, second.get_absolute_url())

    kept = [key[3] for key in small._pages]
    assert kept == [second.get_absolute_url()]
    assert small._bytes == len(next(iter(small._pages.values())).body) <= size * 3 // 2
