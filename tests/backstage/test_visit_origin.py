"""Where buyers came from: the ``?ref=`` tag and the referring site reach the order."""

from __future__ import annotations

import pytest
from django.test import Client

from disquaire.orders.models import Order
from disquaire.selling.models import Offer
from disquaire.shop.middleware import campaign_clean, referrer_host
from tests.factories import ReleaseFactory
from tests.shop.factories import OfferFactory

pytestmark = pytest.mark.django_db


def test_referrer_keeps_only_another_sites_host() -> None:
    assert referrer_host(referer="https://www.Instagram.com/p/x?u=me", own_host="t") == (
        "instagram.com"
    )
    assert referrer_host(referer="http://testserver/a/", own_host="testserver:80") == ""
    assert referrer_host(referer="http://[bad", own_host="t") == ""
    assert campaign_clean(" poster lyon<script> ") == "poster-lyon-script"


def test_campaign_and_first_referrer_are_copied_onto_the_order() -> None:
    release = ReleaseFactory()
    offer = OfferFactory(
        artist=release.artist, release=release, pricing=Offer.Pricing.PWYW, minimum_minor=0
    )
    client = Client()
    page = client.get(
        release.get_absolute_url() + "?ref=gig-lyon", HTTP_REFERER="https://bandblog.example/x"
    )
    assert page["Cache-Control"] == "private, no-store"
    client.get(release.get_absolute_url() + "?ref=later", HTTP_REFERER="https://other.example/")
    client.post("/cart/add/", {"offer": offer.pk, "amount": "0"}, HTTP_ORIGIN="http://testserver")
    response = client.post(
        f"/checkout/{release.artist.slug}/", {"email": "fan@example.org"}, follow=True
    )
    assert response.status_code == 200
    order = Order.objects.get()
    assert (order.referrer, order.campaign) == ("bandblog.example", "gig-lyon")


def test_plain_visit_touches_no_session(client: Client) -> None:
    release = ReleaseFactory()
    response = client.get(release.get_absolute_url())
    assert "sessionid" not in response.cookies
