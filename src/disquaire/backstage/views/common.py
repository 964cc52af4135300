"""Small pieces the backstage views share."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from disquaire.catalog.models import Artist


def confirm_delete(
    request: HttpRequest,
    *,
    artist: Artist,
    thing: Any,
    cancel: str = "",
    cancel_url: str = "",
    explanation: str = "",
) -> HttpResponse:
    """The "are you sure?" page of a delete: its form posts back to the same address;
    ``cancel`` names the list to go back to (or ``cancel_url`` is where to go back);
    ``explanation`` says what goes with it."""
    return render(
        request,
        "backstage/confirm_delete.html",
        {
            "artist": artist,
            "thing": thing,
            "cancel": cancel,
            "cancel_url": cancel_url,
            "explanation": explanation,
        },
    )
