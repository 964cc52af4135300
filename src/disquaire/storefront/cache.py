"""The public pages' cache: whole rendered pages, invalidated by generation numbers.

A page's key holds its path, the language and a *generation*: a number kept in the cache
per artist (and one for the whole instance). Any save or delete of something a page shows
bumps the generations (``storefront.signals``), so the next visitor gets a fresh page and
the old entries simply expire. Public pages are the same for every anonymous visitor of
a language (no CSRF token, no user name), which is what makes them cacheable at all.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

# Short enough that a process which did not see an edit (several web processes, each with
# its own in-memory cache) catches up quickly; a shared cache (Redis) sees edits at once.
PAGE_TIMEOUT = 120
PUBLIC_MAX_AGE = 60
GLOBAL = "all"


def _generation_key(scope: str) -> str:
    return f"storefront:gen:{scope}"


def generation(scope: str) -> int:
    """The current generation of ``scope`` (an artist's pk, or ``GLOBAL``).

    A missing number starts from the clock, never from 1: if the cache dropped it, pages
    cached under an older number must not come back.
    """
    key = _generation_key(scope)
    value = cache.get(key)
    if value is None:
        cache.add(key, time.time_ns(), timeout=None)
        value = cache.get(key)
    return int(value or 0)


def generation_bump(scope: str) -> None:
    key = _generation_key(scope)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, time.time_ns(), timeout=None)


def artist_scope(artist_id: int) -> str:
    return f"artist:{artist_id}"


def page_key(request: HttpRequest, scope: str, gen: int | None = None) -> str:
    # The path only: these pages ignore the query string, which must not multiply entries.
    path = hashlib.sha256(request.path.encode()).hexdigest()[:32]
    gen = generation(scope) if gen is None else gen
    return f"storefront:page:{scope}:{gen}:{get_language()}:{path}"


def _mark(response: HttpResponse, scope: str, gen: int) -> None:
    """Tell ``storefront.fastpath`` which scope and generation this page belongs to."""
    response.page_cache = (scope, gen)  # type: ignore[attr-defined]


def public_headers(response: HttpResponse, *, max_age: int = PUBLIC_MAX_AGE) -> HttpResponse:
    response["Cache-Control"] = f"public, max-age={max_age}"
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


def private_headers(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


def _scope_key(request: HttpRequest) -> str:
    path = hashlib.sha256(request.path.encode()).hexdigest()[:32]
    return f"storefront:scope:{path}"


def page_lookup(request: HttpRequest) -> HttpResponse | None:
    """The cached page of this address, found without the database, or None.

    The scope a path belongs to is remembered when its page is stored; an edit bumps
    that scope's generation, so a stale page is never found this way either.
    """
    scope = cache.get(_scope_key(request))
    if scope is None:
        return None
    gen = generation(scope)
    hit: dict[str, Any] | None = cache.get(page_key(request, scope, gen))
    if hit is None:
        return None
    response = HttpResponse(hit["content"], content_type=hit["content_type"])
    response["X-Page-Cache"] = "hit"
    _mark(response, scope, gen)
    return public_headers(response)


def cached_page(
    request: HttpRequest, scope: str, render: Callable[[], HttpResponse]
) -> HttpResponse:
    """The page from the cache, or rendered by ``render()`` and stored."""
    gen = generation(scope)
    key = page_key(request, scope, gen)
    hit: dict[str, Any] | None = cache.get(key)
    if hit is not None:
        response = HttpResponse(hit["content"], content_type=hit["content_type"])
        response["X-Page-Cache"] = "hit"
        _mark(response, scope, gen)
        return public_headers(response)
    response = render()
    if response.status_code == 200:
        if hasattr(response, "render"):
            response.render()
        cache.set(
            key,
            {"content": response.content, "content_type": response["Content-Type"]},
            PAGE_TIMEOUT,
        )
        cache.set(_scope_key(request), scope, PAGE_TIMEOUT)
        _mark(response, scope, gen)
    response["X-Page-Cache"] = "miss"
    return public_headers(response)
