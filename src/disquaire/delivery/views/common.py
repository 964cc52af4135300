"""What the delivery pages share: their context, their private headers, the refusal page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist
from disquaire.delivery.services import (
    download_limit,
)


def _base(request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    return {"title": title, "canonical": "", "ld": [], **extra}


def _private(response: HttpResponseBase, *, forms: bool = False) -> HttpResponseBase:
    # Download pages carry bearer links: never cached, indexed or sent as a referrer.
    # Pages with a POST form keep "same-origin": under "no-referrer" browsers send
    # "Origin: null", which Django's CSRF check refuses.
    response["Referrer-Policy"] = "same-origin" if forms else "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    return response


def problem(
    request: HttpRequest,
    *,
    status: int,
    kind: str,
    artist: Artist | None = None,
    **extra: Any,
) -> HttpResponse:
    """A refusal page: what happened and what the fan can do about it."""
    titles = {
        "expired": _("This download link has expired"),
        "invalid": _("This download link does not work"),
        "revoked": _("These downloads are closed"),
        "limit": _("Download limit reached"),
        "locked": _("Not released yet"),
        "missing": _("This file is not available"),
    }
    context = _base(
        request,
        titles.get(kind, _("Downloads")),
        kind=kind,
        artist=artist,
        library_url=reverse("fans:library"),
        limit=download_limit(),
        **extra,
    )
    response = render(request, "delivery/problem.html", context, status=status)
    _private(response)
    return response
