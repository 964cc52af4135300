"""How the fans' private pages are answered: not cached, not indexed, no referrer elsewhere."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def private_render(
    request: HttpRequest, template: str, status: int = 200, **context: Any
) -> HttpResponse:
    """``template`` with ``context``, as a page only this visitor may see."""
    response = render(request, template, {"canonical": "", "ld": [], **context}, status=status)
    response["Cache-Control"] = "private, no-store"
    # Not "no-referrer": browsers would then post forms with "Origin: null", which
    # Django's CSRF check refuses; same-origin keeps the library's links on this site.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response
