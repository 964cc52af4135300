"""Backstage stats: what is counted, drawn as SVG with its table, and the same rows as CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from disquaire.backstage.stats import chart_build
from disquaire.delivery.services import track_downloads_record
from disquaire.orders.models import Order
from disquaire.orders.services import payment_confirm, payment_create
from disquaire.selling.models import Offer
from disquaire.storefront import listening
from tests.backstage.conftest import Band
from tests.factories import TrackFactory
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db


def _url(name: str, band: Band, **kwargs: Any) -> str:
    return reverse(f"backstage:{name}", kwargs={"artist": band.artist.slug, **kwargs})


def _sell(band: Band, **kwargs: Any) -> Order:
    offer = kwargs.pop("offer", None) or OfferFactory(release=band.release, title="Album")
    order = order_for(offer, **kwargs)
    payment_confirm(payment=payment_create(order=order, provider="test"))
    order.refresh_from_db()
    return order


def test_sales_per_day_counts_paid_orders_and_revenue_of_today(band: Band) -> None:
    _sell(band)
    _sell(band)
    order_for(OfferFactory(release=band.release))  # unpaid: not counted
    chart = chart_build(key="sales", artist=band.artist)
    assert len(chart.rows) == 90
    assert chart.rows[-1] == (timezone.localdate().isoformat(), [2, 2000])
    assert sum(1 for bar in chart.svg["bars"] if bar["value"]) == 1


def test_by_offer_country_and_origin(band: Band) -> None:
    vinyl = OfferFactory(release=band.release, title="Vinyl", kind=Offer.Kind.PHYSICAL)
    _sell(band, offer=vinyl, quantity=2)
    album = OfferFactory(release=band.release, title="Album")
    digital = _sell(band, offer=album)
    Order.objects.filter(pk=digital.pk).update(referrer="blog.example", campaign="")
    tagged = _sell(band, offer=album)
    Order.objects.filter(pk=tagged.pk).update(referrer="x.example", campaign="poster")
    offers = dict(chart_build(key="offers", artist=band.artist).rows)
    assert offers["Vinyl"] == [2, 2000] and offers["Album"] == [2, 2000]
    countries = dict(chart_build(key="countries", artist=band.artist).rows)
    assert countries == {"FR": [1], "unknown (digital)": [2]}
    origins = dict(chart_build(key="origins", artist=band.artist).rows)
    assert origins["ref=poster"][0] == 1 and origins["blog.example"][0] == 1
    assert origins["direct or unknown"][0] == 1


def test_plays_and_downloads_show_what_is_recorded(band: Band) -> None:
    track = TrackFactory(release=band.release, position=1, title="Un")
    listening.track_play_record(track=track)
    listening.track_play_record(track=track)
    track_downloads_record(tracks=[track, track, track])
    plays = chart_build(key="plays", artist=band.artist).rows
    assert plays == [(f"{band.release.title} — 1. Un", [2])]
    downloads = chart_build(key="downloads", artist=band.artist).rows
    assert downloads == [(f"{band.release.title} — 1. Un", [3])]


def test_page_has_accessible_svg_and_tables(band: Band) -> None:
    _sell(band)
    page = band.client.get(_url("stats", band)).content.decode()
    assert page.count('role="img"') >= 3
    assert '<title id="chart-sales-svgtitle">' in page and "<desc " in page
    assert "<details>" in page and "style=" not in page and "<script" not in page


def test_csv_has_the_same_rows(band: Band) -> None:
    _sell(band)
    response = band.client.get(_url("stats_csv", band, chart="offers"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["Offer", "Units", "Revenue"], ["Album", "1", "10.00"]]
    assert band.client.get(_url("stats_csv", band, chart="nope")).status_code == 404


def test_another_artists_sales_are_not_counted(band: Band, stranger: Band) -> None:
    order = order_for(OfferFactory(release=stranger.release))
    payment_confirm(payment=payment_create(order=order, provider="test"))
    assert chart_build(key="offers", artist=band.artist).rows == []
