"""The band's activity page: every back-office action of the artist, newest first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from disquaire.backstage import selectors
from disquaire.backstage.history import history_line
from disquaire.core.audit import activity_for_artist

PER_PAGE = 50


@login_required
def activity(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    page = Paginator(activity_for_artist(artist_id=obj.pk), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "backstage/activity.html",
        {"artist": obj, "page": page, "lines": [history_line(e) for e in page]},
    )
