"""Today's offer stock becomes stock items with a ledger.

Each offer that ships and had a stock (or each of its options that had one) gets an item
of its own, used 1 per unit, at the artist's home (created as the default place):

- a ``received`` row of the stock the band had entered (say 300),
- a ``sold_online`` row of the units already paid for (say 12; sold before the ledger
  existed, dated now, referenced ``migration``),

so the home balance is 288 and the history says where it comes from, rather than a bare
``received 288`` that would forget the 12 sales. (When the stock had been lowered below
what was sold, the row received is what was sold: the balance is 0, never below.)
Pending checkouts keep their holds: they now hold the item's units. A numbered offer
(without options) becomes a numbered item: its counter and its numbered units move to the
item, so the numbers go on from where they were. The offer's (or option's) own stock is
then emptied: what is left is the item's.

Offers that do not ship (a limited digital edition) keep their own stock as before.
Going back leaves the items and the ledger as they are (the ledger is never rewritten).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import Sum

NOTE = "stock of the offer before items"


def _sold(Reservation: Any, offer: Any, option: Any) -> int:
    held = Reservation.objects.filter(offer=offer, state="consumed")
    if option is not None:
        held = held.filter(option=option)
    return int(held.aggregate(n=Sum("quantity"))["n"] or 0)


def forward(apps: Any, schema_editor: Any) -> None:
    Offer = apps.get_model("selling", "Offer")
    OfferItem = apps.get_model("selling", "OfferItem")
    Item = apps.get_model("stock", "Item")
    Place = apps.get_model("stock", "Place")
    Movement = apps.get_model("stock", "Movement")
    Balance = apps.get_model("stock", "Balance")
    Reservation = apps.get_model("orders", "Reservation")
    EditionCounter = apps.get_model("orders", "EditionCounter")
    ItemEditionCounter = apps.get_model("orders", "ItemEditionCounter")
    EditionUnit = apps.get_model("orders", "EditionUnit")

    homes: dict[int, Any] = {}
    offers = Offer.objects.filter(kind__in=["physical", "bundle"]).order_by("pk")
    for offer in offers:
        options = [o for o in offer.options.order_by("position", "pk") if o.stock is not None]
        targets: list[tuple[Any, int, str]] = [
            (option, option.stock, f"{offer.title} / {option.label}") for option in options
        ]
        if not targets and offer.stock is not None:
            targets = [(None, offer.stock, offer.title)]
        if not targets:
            continue
        home = homes.get(offer.artist_id)
        if home is None:
            home = Place.objects.filter(
                artist_id=offer.artist_id, kind="home", is_default=True
            ).first()
            if home is None:
                home = Place.objects.create(
                    artist_id=offer.artist_id, name="Home", kind="home", is_default=True
                )
            homes[offer.artist_id] = home
        numbered = offer.numbered and not options
        for option, stock, name in targets:
            sold = _sold(Reservation, offer, option)
            received = max(stock, sold)
            item = Item.objects.create(
                artist_id=offer.artist_id, name=name[:200], numbered=numbered
            )
            common = {
                "artist_id": offer.artist_id,
                "item": item,
                "reference_type": "migration",
                "reference_id": f"offer-{offer.pk}" + (f"-option-{option.pk}" if option else ""),
                "note": NOTE,
            }
            if received:
                Movement.objects.create(
                    quantity=received, to_place=home, reason="received", **common
                )
            if sold:
                Movement.objects.create(
                    quantity=sold, from_place=home, reason="sold_online", **common
                )
            Balance.objects.create(item=item, place=home, quantity=received - sold)
            OfferItem.objects.create(offer=offer, option=option, item=item, quantity=1)
            if option is not None:
                option.stock = None
                option.save(update_fields=["stock"])
            if numbered:
                counter = EditionCounter.objects.filter(offer=offer).first()
                ItemEditionCounter.objects.create(
                    item=item, issued=counter.issued if counter else 0
                )
                EditionUnit.objects.filter(offer=offer).update(item=item)
        if options:
            continue
        offer.stock = None
        if numbered:
            offer.numbered = False
        offer.save(update_fields=["stock", "numbered"])


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0009_item_numbering"),
        ("selling", "0002_offeritem"),
        ("stock", "0002_movement_append_only_trigger"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
