"""An order's history reads as sentences, in the band's language, not as log lines."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from disquaire.orders.history import order_history
from disquaire.orders.models import OrderState
from disquaire.orders.services import order_fulfil, payment_confirm, payment_create
from disquaire.selling.models import Offer
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db


def _shipped_order() -> Any:
    order = order_for(OfferFactory(kind=Offer.Kind.PHYSICAL, price_minor=1500))
    payment_confirm(payment=payment_create(order=order, provider="manual"), actor="backstage:a@b.c")
    order_fulfil(order=order, actor="backstage:a@b.c")
    order.refresh_from_db()
    assert order.state == OrderState.FULFILLED
    return order


def test_the_history_says_what_happened_and_who_did_it() -> None:
    order = _shipped_order()
    with translation.override("en"):
        lines = [(row["what"], row["who"]) for row in order_history(order)]
    assert lines == [
        ("Order of €15.00 placed", "the fan"),
        ("Payment of €15.00 started (bank transfer)", "the fan"),
        ("Payment received (bank transfer)", "a@b.c"),
        ("Order paid", "a@b.c"),
        ("Marked shipped", "a@b.c"),
    ]
    assert not any("→" in what or "order." in what for what, _who in lines)


def test_the_history_reads_in_french() -> None:
    order = _shipped_order()
    with translation.override("fr"):
        whats = [row["what"] for row in order_history(order)]
        whos = {row["who"] for row in order_history(order)}
    assert whats[0] == "Commande de 15,00\u00a0€ passée"
    assert whats[-1] == "Marquée comme envoyée"
    assert "le fan" in whos


def test_the_band_sees_the_history_in_words_and_fulfilled_as_sent(client: Any) -> None:
    from disquaire.catalog.models import Membership
    from tests.factories import MembershipFactory

    order = _shipped_order()
    membership = MembershipFactory(artist=order.artist, role=Membership.Role.OWNER)
    client.force_login(membership.user)
    url = reverse("backstage:order", kwargs={"artist": order.artist.slug, "code": order.code})
    page = client.get(url).content.decode()
    assert "Marked shipped" in page and "order.fulfil" not in page and "→" not in page
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Envoyée" in page and "Livrée" not in page
