"""Stats: the band's figures as SVG charts, each with its table and CSV download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from disquaire.backstage import selectors
from disquaire.backstage.stats import CHARTS, chart_build
from disquaire.core.exporters import exporter_response
from disquaire.core.replica import reporting_db


@login_required
def stats(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    db = reporting_db()
    charts = [chart_build(key=key, artist=obj, using=db) for key in CHARTS]
    return render(request, "backstage/stats/stats.html", {"artist": obj, "charts": charts})


@login_required
def stats_csv(request: HttpRequest, artist: str, chart: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    if chart not in CHARTS:
        raise Http404
    stamp = timezone.localdate().isoformat()
    return exporter_response(
        "stats",
        filename=f"{obj.slug}-{chart}-{stamp}.csv",
        chart=chart_build(key=chart, artist=obj),
    )
