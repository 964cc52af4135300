"""A friend running the merch table sells and counts for one band and sees nothing else:
every backstage and admin page answers 403 to a phone signed in as a seller."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from disquaire.table.models import Seller
from disquaire.table.views.access import SESSION_SELLER
from tests.security.urlwalk import routes
from tests.security.world import world_build


def _seller_client(seller: Seller) -> Client:
    client = Client()
    session = client.session
    session[SESSION_SELLER] = seller.pk
    session.save()
    client.raise_request_exception = False
    return client


@pytest.mark.django_db
def test_a_seller_gets_403_on_every_backstage_and_admin_page(settings: Any) -> None:
    world = world_build()
    seller = Seller.objects.filter(artist=world.artist, joined_at__isnull=False).first()
    assert seller is not None
    client = _seller_client(seller)
    answers = {}
    for route in routes():
        if not route.route.startswith(("backstage/", "admin/")):
            continue
        try:
            kwargs = world.kwargs(route.key, route.arguments)
        except KeyError:
            kwargs = {name: 1 for name in route.arguments}
        url = route.url(kwargs)
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            if status != 403:
                answers[f"{method.upper()} {url}"] = status
    assert answers == {}


@pytest.mark.django_db
def test_a_seller_sells_but_cannot_see_the_bands_table_pages() -> None:
    world = world_build()
    seller = Seller.objects.filter(artist=world.artist, joined_at__isnull=False).first()
    client = _seller_client(seller)
    slug = world.artist.slug
    assert client.get(f"/table/{slug}/").status_code == 200
    assert client.get(f"/table/{slug}/catalogue.json").status_code == 200
    assert client.get(f"/table/{slug}/manage/").status_code == 403
    show = world.values["show_id"]
    assert client.get(f"/table/{slug}/shows/{show}/report/").status_code == 403
    # Another band's table: sent to the join page.
    assert client.get(f"/table/{world.other_artist.slug}/").status_code == 302
