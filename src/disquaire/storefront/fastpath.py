"""Cached public pages answered before Django: the WSGI front of the page cache.

A cached page still costs Django's whole request cycle — request object, eleven
middleware, URL resolution, the view — about 0.4 ms of CPU, which caps one process at a
few thousand pages a second. Yet for an anonymous visitor the answer is known in
advance: the bytes and headers Django produced for the previous anonymous visitor of the
same address and language, as long as the page's generation has not moved
(``storefront.cache``).

``PageFastPath`` wraps the WSGI application. When Django answers an *eligible* request
(below) with a page that went through ``cached_page`` — status 200, public, no cookie set
— it keeps the status line, the headers exactly as sent and the body, under (scheme,
host, path, language). The next eligible request for that key gets them back after one
check: the scope's generation is still the one the page was rendered under, and the copy
is younger than the page cache's lifetime. Anything else goes to Django unchanged.

Eligible: ``GET``, no query string (``?ref=``, ``?preview=``, the language switch, embed
sizes all need Django), no session or messages cookie (signed-in fans, the band, flash
messages), no referrer from another site (``shop.middleware`` remembers it in the
session). The language is the one Django's ``LocaleMiddleware`` would pick from the same
cookie and ``Accept-Language`` header, and a response whose ``Content-Language`` says
otherwise is not kept.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.http.cookie import parse_cookie
from django.utils import translation

from disquaire.shop.middleware import referrer_host
from disquaire.storefront.cache import PAGE_TIMEOUT, generation

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# Per process: enough for every page of a large roster in two languages.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_LANGUAGE_MEMO_MAX = 1024


@dataclass(frozen=True)
class _Page:
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    scope: str
    generation: int
    stored_at: float


class PageFastPath:
    """WSGI middleware: answer the public page cache's hits without running Django."""

    def __init__(self, app: WSGIApp, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._pages: OrderedDict[tuple[str, ...], _Page] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._languages: dict[tuple[str, str], str] = {}

    # -- the request side -------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.app(environ, start_response)
        page = self._pages.get(key)
        if page is not None and self._fresh(page):
            start_response(page.status, list(page.headers))
            return [page.body]
        return self._through_django(key, environ, start_response)

    def _key(self, environ: dict[str, Any]) -> tuple[str, ...] | None:
        """The cache key of an eligible request, or None when Django must answer."""
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return None
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        referer = environ.get("HTTP_REFERER")
        if referer and referrer_host(referer=referer, own_host=host):
            return None
        raw_cookie = environ.get("HTTP_COOKIE", "")
        cookies = parse_cookie(raw_cookie) if raw_cookie else {}
        if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
            return None
        language = self._language(
            cookies.get(settings.LANGUAGE_COOKIE_NAME, ""),
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
        )
        return (
            environ.get("wsgi.url_scheme", "http"),
            environ.get("HTTP_X_FORWARDED_PROTO", ""),
            host,
            environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
            language,
        )

    def _language(self, cookie: str, accept: str) -> str:
        """What ``LocaleMiddleware`` picks for this cookie and header (remembered)."""
        memo = (cookie, accept)
        language = self._languages.get(memo)
        if language is None:
            request = SimpleNamespace(
                COOKIES={settings.LANGUAGE_COOKIE_NAME: cookie} if cookie else {},
                META={"HTTP_ACCEPT_LANGUAGE": accept},
            )
            language = translation.get_language_from_request(request)  # type: ignore[arg-type]
            if len(self._languages) >= _LANGUAGE_MEMO_MAX:
                self._languages.clear()
            self._languages[memo] = language
        return language

    def _fresh(self, page: _Page) -> bool:
        if time.monotonic() - page.stored_at > PAGE_TIMEOUT:
            return False
        return generation(page.scope) == page.generation

    # -- the response side ------------------------------------------------------------

    def _through_django(
        self, key: tuple[str, ...], environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        sent: list[Any] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            sent[:] = [status, headers]
            return start_response(status, headers, exc_info)

        result = self.app(environ, start)
        if isinstance(result, HttpResponse) and sent:
            self._keep(key, result, sent[0], sent[1])
        return result

    def _keep(
        self, key: tuple[str, ...], response: HttpResponse, status: str, headers: list[Any]
    ) -> None:
        marker: tuple[str, int] | None = getattr(response, "page_cache", None)
        if marker is None or response.status_code != 200 or response.cookies:
            return
        names = {name.lower(): value for name, value in headers}
        if "set-cookie" in names or not names.get("cache-control", "").startswith("public"):
            return
        if names.get("content-language") != key[-1]:
            return
        body = response.content
        kept = [(n, "hit" if n.lower() == "x-page-cache" else v) for n, v in headers]
        page = _Page(status, kept, body, marker[0], marker[1], time.monotonic())
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._pages[key] = page
            self._bytes += len(body)
            while self._bytes > self.max_bytes and self._pages:
                _, dropped = self._pages.popitem(last=False)
                self._bytes -= len(dropped.body)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._bytes = 0
