"""Remember where a visitor came from, for the band's stats on orders.

A visitor who lands with ``?ref=<campaign>`` (a link on a poster, a newsletter) or from
another site keeps that origin in the session until checkout, which copies it onto the
order. Only the referring host is kept, never the full address (it may carry personal
data), and the first origin of the visit wins. The session is touched only when there is
something to store, so ordinary page views stay cookie-free and cacheable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse

SESSION_REF = "visit_ref"
SESSION_REFERRER = "visit_referrer"
SKIP_PREFIXES = ("/backstage/", "/admin/", "/static/", "/media/")
_CAMPAIGN_CLEAN = re.compile(r"[^\w.\-]+")


def campaign_clean(value: str) -> str:
    """A campaign tag as stored: letters, digits, ``.-_``, at most 60 characters."""
    return _CAMPAIGN_CLEAN.sub("-", value.strip())[:60].strip("-")


def referrer_host(*, referer: str, own_host: str) -> str:
    """The referring host without ``www.``, or "" for our own site or a bad header."""
    try:
        host = (urlsplit(referer).hostname or "").lower()
    except ValueError:
        return ""
    own = own_host.split(":")[0].lower()
    if not host or host == own:
        return ""
    return host.removeprefix("www.")[:200]


class VisitOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        stored = request.method == "GET" and not request.path.startswith(SKIP_PREFIXES)
        stored = stored and self._remember(request)
        response = self.get_response(request)
        if stored:
            # This response sets the session cookie: no shared cache may keep it.
            response["Cache-Control"] = "private, no-store"
        return response

    def _remember(self, request: HttpRequest) -> bool:
        """Store the visit's origin in the session; True when something was written."""
        ref = campaign_clean(request.GET.get("ref", ""))
        referer = request.headers.get("referer", "")
        host = referrer_host(referer=referer, own_host=request.get_host()) if referer else ""
        if not (ref or host) or not hasattr(request, "session"):
            return False
        written = False
        if ref and not request.session.get(SESSION_REF):
            request.session[SESSION_REF] = ref
            written = True
        if host and not request.session.get(SESSION_REFERRER):
            request.session[SESSION_REFERRER] = host
            written = True
        return written


def visit_origin(request: HttpRequest) -> tuple[str, str]:
    """(referrer host, campaign) remembered for this visit."""
    session = getattr(request, "session", None)
    if session is None:
        return "", ""
    return str(session.get(SESSION_REFERRER, "")), str(session.get(SESSION_REF, ""))
