"""The phone app's pages: joining, the shell, the catalogue it keeps, the worker, the
manifest; the seller sees the table and nothing else."""

from __future__ import annotations

import pytest
from django.test import Client

from disquaire.table import services
from disquaire.table.models import Seller
from tests.factories import MembershipFactory
from tests.table.helpers import seller_client, table_build

pytestmark = pytest.mark.django_db


def test_friend_joins_with_the_short_code_once():
    table = table_build()
    invited = services.seller_invite(artist=table.artist, name="Alex")
    client = Client()
    response = client.post(
        "/table/join/", {"code": invited.code.lower()[:4] + "-" + invited.code[4:]}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/table/{table.artist.slug}/"
    assert client.get(response["Location"]).status_code == 200
    again = Client().post("/table/join/", {"code": invited.code})
    assert again.status_code == 200  # the form again, with the refusal
    assert "table_seller" not in again.client.session


def test_invitation_link_shows_a_button_and_joins_on_post():
    table = table_build()
    invited = services.seller_invite(artist=table.artist, name="Alex")
    client = Client()
    assert client.get(f"/table/join/{invited.code}/").status_code == 200
    Seller.objects.get(pk=invited.pk).joined_at is None  # noqa: B015
    assert client.post(f"/table/join/{invited.code}/").status_code == 302


def test_catalogue_has_prices_stock_in_the_bag_and_the_show():
    table = table_build(cds=5)
    data = seller_client(table.seller).get(f"/table/{table.artist.slug}/catalogue.json").json()
    by_name = {p["name"]: p for p in data["products"]}
    assert by_name["CD"]["price"] == 1500
    assert by_name["CD"]["left"] == 5
    assert by_name["2 CDs"]["left"] == 2
    assert data["show"]["id"] == table.show.pk
    assert data["seller"] == {"name": "Sam", "member": False}


def test_shell_worker_and_manifest():
    table = table_build()
    client = seller_client(table.seller)
    shell = client.get(f"/table/{table.artist.slug}/")
    assert shell.status_code == 200
    assert b"table/app.js" in shell.content
    assert "csrftoken" in shell.cookies
    sw = client.get("/table/sw.js")
    assert sw["Content-Type"].startswith("text/javascript")
    assert b"workbox-routing" in sw.content
    manifest = client.get(f"/table/{table.artist.slug}/manifest.webmanifest").json()
    assert manifest["start_url"] == f"/table/{table.artist.slug}/"
    assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}


def test_seller_gets_403_on_the_backstage_and_the_band_pages():
    table = table_build()
    client = seller_client(table.seller)
    assert client.get("/backstage/").status_code == 403
    assert client.get(f"/backstage/{table.artist.slug}/").status_code == 403
    assert client.get("/admin/").status_code == 403
    assert client.get(f"/table/{table.artist.slug}/manage/").status_code == 403


def test_band_member_sells_as_themselves():
    table = table_build()
    owner = MembershipFactory(artist=table.artist).user
    client = Client()
    client.force_login(owner)
    assert client.get("/table/").status_code == 302
    data = client.get(f"/table/{table.artist.slug}/catalogue.json").json()
    assert data["seller"]["member"] is True
    assert client.get(f"/table/{table.artist.slug}/manage/").status_code == 200


def test_signout_ends_the_sellers_session():
    table = table_build()
    client = seller_client(table.seller)
    assert client.post(f"/table/{table.artist.slug}/signout").status_code == 302
    assert client.get(f"/table/{table.artist.slug}/").status_code == 302
