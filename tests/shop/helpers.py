"""Small helpers shared by the selling tests (shop, orders, payments, concurrency)."""

from __future__ import annotations

from django.test import RequestFactory

from disquaire.orders.models import Order
from disquaire.orders.services import Address, LineSpec, order_create
from disquaire.selling.models import Offer, OfferOption


def order_for(
    offer: Offer,
    *,
    quantity: int = 1,
    option: OfferOption | None = None,
    price: int | None = None,
    email: str = "fan@example.org",
) -> Order:
    return order_create(
        artist=offer.artist,
        email=email,
        lines=[
            LineSpec(
                offer=offer,
                option=option,
                quantity=quantity,
                unit_price_minor=offer.price_minor if price is None else price,
            )
        ],
        address=Address(name="Fan", address="1 rue", city="Paris", country="FR")
        if offer.ships
        else None,
    )


def fake_request():  # type: ignore[no-untyped-def]
    return RequestFactory().get("/checkout/")


def checkout_post(client, artist, data, *, shown=None):  # type: ignore[no-untyped-def]
    """Post the checkout form as a buyer whose page showed the total for their country
    (what the page's script asks ``quote.json``), or the total ``shown``."""
    url = f"/checkout/{artist.slug}/"
    if shown is None:
        quote = client.get(url + "quote.json", {"country": data.get("country", "")}).json()
        shown = quote["total_minor"]
    return client.post(url, {**data, "total_shown": "" if shown is None else shown})
