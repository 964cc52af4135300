"""``disquaire stock-check``: recompute every balance from the ledger, report any drift."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from disquaire.stock.models import Item, Place
from disquaire.stock.selectors import balance_drift


class Command(BaseCommand):
    help = "Recompute every stock balance from the ledger and report any drift (exit 1)."

    def handle(self, *args: Any, **options: Any) -> None:
        drift = balance_drift()
        if not drift:
            self.stdout.write("stock-check: every balance matches the ledger (0 drift).")
            return
        items = Item.objects.in_bulk({d[0] for d in drift})
        places = Place.objects.in_bulk({d[1] for d in drift})
        for item_id, place_id, kept, summed in drift:
            self.stdout.write(
                f"drift: {items.get(item_id, item_id)} at {places.get(place_id, place_id)} "
                f"(item {item_id}, place {place_id}): balance {kept}, ledger {summed}"
            )
        raise CommandError(f"stock-check: {len(drift)} balance(s) drift from the ledger.")
