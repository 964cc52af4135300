"""The band's shop pages and documents, the shop's private link, the public list."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from disquaire.consignment.links import shop_from_token, shop_link_path
from disquaire.consignment.models import Sale
from disquaire.consignment.services import (
    Line,
    consignment_place,
    sales_report,
    shop_link_revoke,
    shop_update,
    statement_create,
)
from disquaire.stock.selectors import balance
from tests.consignment.conftest import Band

pytestmark = pytest.mark.django_db


def _url(band: Band, name: str, **kwargs: int) -> str:
    return reverse(
        f"backstage:{name}", kwargs={"artist": band.artist.slug, "shop_id": band.shop.pk, **kwargs}
    )


def _settled(band: Band) -> int:
    consignment_place(shop=band.shop, item=band.item, quantity=10, price_minor=1200)
    sales_report(shop=band.shop, lines=[Line(band.item, 3)])
    return statement_create(shop=band.shop).pk


def test_shops_page_lists_units_out_sold_and_due(band: Band) -> None:
    consignment_place(shop=band.shop, item=band.item, quantity=10, price_minor=1200)
    sales_report(shop=band.shop, lines=[Line(band.item, 3)])
    page = band.client.get(reverse("backstage:consignment_shops", args=[band.artist.slug]))
    assert page.status_code == 200
    text = page.content.decode()
    assert band.shop.name in text
    assert "€27.00" in text  # 3 × (12.00 − 25 %)


def test_shop_page_shows_placements_reports_statements_and_the_private_link(band: Band) -> None:
    _settled(band)
    page = band.client.get(_url(band, "consignment_shop"))
    assert page.status_code == 200
    text = page.content.decode()
    assert band.item.name in text
    # The link shown opens this shop's page (its token carries the time it was signed).
    prefix = shop_link_path(shop=band.shop).rsplit("/", 2)[0] + "/"
    shown = re.search(re.escape(prefix) + r"([^/\"<\s]+)/", text)
    assert shown is not None
    assert shop_from_token(token=shown.group(1)) == band.shop
    assert "The shop keeps 30 % of its price. From €10.00 up: 25 %." in text
    for name in (
        "consignment_shop_edit",
        "consignment_place",
        "consignment_report",
        "consignment_return",
        "consignment_settle",
    ):
        assert band.client.get(_url(band, name)).status_code == 200, name
    shop_link_revoke(shop=band.shop)
    assert (
        "The link is revoked." in band.client.get(_url(band, "consignment_shop")).content.decode()
    )


def test_band_adds_a_shop_with_tiered_terms(band: Band) -> None:
    response = band.client.post(
        reverse("backstage:consignment_shop_create", args=[band.artist.slug]),
        {
            "name": "Vinyl Corner",
            "town": "Rennes",
            "country": "fr",
            "website": "vinylcorner.example",
            "share_kind": "commission",
            "commission": "30",
            "tier_from": "10",
            "tier_commission": "25",
            "fixed": "",
        },
    )
    assert response.status_code == 302, response.content
    shop = band.artist.consignment_shops.get(name="Vinyl Corner")
    assert (shop.commission_bp, shop.tier_from_minor, shop.tier_commission_bp) == (3000, 1000, 2500)
    assert shop.country == "FR" and shop.website == "https://vinylcorner.example"
    assert shop.place.kind == "shop" and shop.place.name == "Vinyl Corner"


def test_band_places_reports_and_settles_through_the_forms(band: Band) -> None:
    response = band.client.post(
        _url(band, "consignment_place"),
        {"item": band.item.pk, "quantity": 5, "price": "12.50", "from_place": "", "note": ""},
    )
    assert response.status_code == 302, response.content
    assert balance(item=band.item, place=band.shop.place) == 5
    response = band.client.post(
        _url(band, "consignment_report"),
        {"kind": "count", f"count-item_{band.item.pk}": 3, "count-note": ""},
    )
    assert response.status_code == 302
    assert Sale.objects.get().quantity == 2
    response = band.client.post(
        _url(band, "consignment_report"), {"kind": "sales", f"sales-item_{band.item.pk}": 9}
    )
    assert response.status_code == 200
    assert "cannot have sold 9" in response.content.decode()
    response = band.client.post(_url(band, "consignment_settle"), {"period_end": "2099-01-01"})
    assert response.status_code == 302
    statement = band.shop.statements.get()
    response = band.client.post(
        _url(band, "consignment_statement_paid", statement_id=statement.pk),
        {"paid_on": "2099-01-02", "method": "cash", "amount": ""},
    )
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.is_paid and statement.paid_method == "cash"


def test_statement_pdf_and_csv_download(band: Band) -> None:
    statement_id = _settled(band)
    pdf = band.client.get(_url(band, "consignment_statement_pdf", statement_id=statement_id))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert band.shop.name.encode() in pdf.content
    got = band.client.get(_url(band, "consignment_statement_csv", statement_id=statement_id))
    rows = list(csv.reader(io.StringIO(got.content.decode())))
    assert rows[0][2] == band.shop.name
    line = next(r for r in rows if r and r[0] == band.item.name)
    assert line[1:6] == ["3", "12.00", "9.00", "36.00", "27.00"]


def test_another_band_sees_nothing_of_the_shop(band: Band, other: Band) -> None:
    statement_id = _settled(band)
    for url in (
        _url(band, "consignment_shop"),
        _url(band, "consignment_statement_pdf", statement_id=statement_id),
    ):
        assert other.client.get(url).status_code == 404
    # Their own artist's address with this shop's id: still not found.
    foreign = reverse("backstage:consignment_shop", args=[other.artist.slug, band.shop.pk])
    assert other.client.get(foreign).status_code == 404


def test_private_link_shows_only_that_shop_and_takes_its_report(band: Band, other: Band) -> None:
    _settled(band)
    consignment_place(shop=other.shop, item=other.item, quantity=4, price_minor=800)
    anonymous = Client()
    path = shop_link_path(shop=band.shop)
    page = anonymous.get(path)
    assert page.status_code == 200
    text = page.content.decode()
    assert band.item.name in text and band.shop.name in text
    assert other.item.name not in text and other.shop.name not in text
    assert page["Referrer-Policy"] == "no-referrer"
    response = anonymous.post(
        path + "report/", {"kind": "sales", f"sales-item_{band.item.pk}": 2, "sales-note": ""}
    )
    assert response.status_code == 302
    assert band.shop.reports.filter(source="shop").count() == 1
    assert balance(item=band.item, place=band.shop.place) == 5


def test_private_link_cannot_open_another_shop_s_statement(band: Band, other: Band) -> None:
    statement_id = _settled(other)
    path = shop_link_path(shop=band.shop)
    assert Client().get(f"{path}statements/{statement_id}.pdf").status_code == 404
    own = _settled(band)
    pdf = Client().get(f"{path}statements/{own}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_revoked_or_altered_link_is_not_found(band: Band) -> None:
    path = shop_link_path(shop=band.shop)
    token = path.strip("/").split("/")[-1]
    altered = path.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert Client().get(altered).status_code == 404
    shop_link_revoke(shop=band.shop)
    assert Client().get(path).status_code == 404
    # Revoking from the backstage, then a new link: the new one works, the old does not.
    response = band.client.post(_url(band, "consignment_link"), {"action": "renew"})
    assert response.status_code == 302
    band.shop.refresh_from_db()
    assert Client().get(shop_link_path(shop=band.shop)).status_code == 200
    assert Client().get(path).status_code == 404


def _ld(html: str) -> list[dict]:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in found]


def test_where_to_buy_shows_public_shops_with_stock_only(band: Band) -> None:
    release_url = band.release.get_absolute_url()
    consignment_place(shop=band.shop, item=band.item, quantity=2, price_minor=1200)
    page = Client().get(release_url).content.decode()
    assert "Where to buy in person" not in page  # the shop is not public yet
    shop_update(shop=band.shop, public=True)
    page = Client().get(release_url).content.decode()
    assert "Where to buy in person" in page and band.shop.name in page
    album = next(d for d in _ld(page) if d.get("@type") == "MusicAlbum")
    offer = album["offers"][0]
    assert offer["availableAtOrFrom"]["name"] == band.shop.name
    assert (offer["price"], offer["priceCurrency"]) == ("12.00", "EUR")
    assert offer["availableAtOrFrom"]["address"]["addressLocality"] == "Nantes"
    artist_page = Client().get(band.artist.get_absolute_url()).content.decode()
    assert band.shop.name in artist_page
    assert any(d.get("@type") == "Store" for d in _ld(artist_page))
    # Sold out at the shop: no longer listed.
    sales_report(shop=band.shop, lines=[Line(band.item, 2)])
    page = Client().get(release_url).content.decode()
    assert band.shop.name not in page


def test_the_stock_item_form_links_an_item_to_its_release(band: Band, other: Band) -> None:
    url = reverse("backstage:stock_item_create", args=[band.artist.slug])
    page = band.client.get(url).content.decode()
    assert band.release.title in page and other.release.title not in page
    response = band.client.post(
        url, {"name": "LP", "numbered": "", "low_stock_at": 0, "release": band.release.pk}
    )
    assert response.status_code == 302, response.content
    assert band.artist.stock_items.get(name="LP").release == band.release
    refused = band.client.post(
        url, {"name": "LP2", "numbered": "", "low_stock_at": 0, "release": other.release.pk}
    )
    assert refused.status_code == 200
