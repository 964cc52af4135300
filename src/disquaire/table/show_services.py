"""A show's life: opened at a merch bag, counted in and out (onto the ledger), closed."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist
from disquaire.stock.errors import StockError
from disquaire.stock.models import Item, Place
from disquaire.stock.services import count_record
from disquaire.table.errors import TableError
from disquaire.table.models import Show, ShowCount
from disquaire.table.selectors import default_bag
from disquaire.table.trace import trace


def show_open(
    *,
    artist: Artist,
    date: date,
    venue: str,
    town: str = "",
    place: Place | None = None,
    cash_float: int = 0,
    cut: str = Show.Cut.NONE,
    cut_music_bp: int = 0,
    cut_apparel_bp: int = 0,
    cut_other_bp: int = 0,
    cut_fee: int = 0,
    client_id: uuid.UUID | None = None,
    by: str = "",
) -> Show:
    """Open a show at the merch bag ``place`` (the band's default bag when not given)."""
    if place is None:
        place = default_bag(artist=artist)
        if place is None:
            raise TableError(_("Add a merch bag place on the stock page first."))
    if place.artist_id != artist.pk or place.kind != Place.Kind.BAG:
        raise TableError(_("A show sells from one of the band's merch bags."))
    if (
        min(cash_float, cut_music_bp, cut_apparel_bp, cut_other_bp, cut_fee) < 0
        or max(cut_music_bp, cut_apparel_bp, cut_other_bp) > 10_000
    ):
        raise TableError(_("Amounts cannot be negative, a cut at most 100 %."))
    with transaction.atomic():
        show = Show.objects.create(
            artist=artist,
            date=date,
            venue=venue.strip()[:200],
            town=town.strip()[:120],
            place=place,
            cash_float=cash_float,
            cut=cut,
            cut_music_bp=cut_music_bp,
            cut_apparel_bp=cut_apparel_bp,
            cut_other_bp=cut_other_bp,
            cut_fee=cut_fee,
            client_id=client_id,
        )
        trace(action="show_open", obj=show, by=by, data={"artist": artist.pk,
               "date": str(date), "venue": show.venue})  # fmt: skip
    return show


def show_count(
    *, show: Show, stage: str, counts: dict[Item, int], actor: Any = None, by: str = ""
) -> list[ShowCount]:
    """Record what is in the bag per item at the count in or out. The ledger follows the
    count: a difference with the bag's balance is written as ``counted`` rows (missing or
    extra units), so count-in − sold − count-out is what those rows say."""
    if stage not in ShowCount.Stage.values:
        raise TableError(_("Unknown count."))
    if any(item.artist_id != show.artist_id or n < 0 for item, n in counts.items()):
        raise TableError(_("Counts are of the band's own items, zero or more."))
    with transaction.atomic():
        locked = Show.objects.select_for_update().get(pk=show.pk)
        if locked.state != Show.State.OPEN:
            raise TableError(_("This show is closed."))
        for item in sorted(counts, key=lambda i: i.pk):
            try:
                count_record(
                    item=item,
                    place=locked.place,
                    counted=counts[item],
                    actor=actor,
                    note=f"{stage} {locked}",
                )
            except StockError as exc:
                raise TableError(str(exc)) from exc
        # One upsert for the whole count (a count made again replaces the last one).
        written = ShowCount.objects.bulk_create(
            [
                ShowCount(show=locked, item=item, stage=stage, quantity=n)
                for item, n in sorted(counts.items(), key=lambda pair: pair[0].pk)
            ],
            update_conflicts=True,
            unique_fields=["show", "item", "stage"],
            update_fields=["quantity", "counted_at"],
        )
        tally = {str(i.pk): n for i, n in counts.items()}
        trace(
            action=f"show_count_{stage}",
            obj=locked,
            by=by,
            data={"artist": locked.artist_id, "counts": tally},
        )
    return written


def show_close(*, show: Show, cash_counted: int | None, by: str = "") -> Show:
    """Close the show (after its count out): late sales of it are flagged."""
    if cash_counted is not None and cash_counted < 0:
        raise TableError(_("Counted cash cannot be negative."))
    with transaction.atomic():
        locked = Show.objects.select_for_update().get(pk=show.pk)
        if locked.state != Show.State.OPEN:
            raise TableError(_("This show is already closed."))
        locked.state = Show.State.CLOSED
        locked.cash_counted = cash_counted
        locked.closed_at = timezone.now()
        locked.save(update_fields=["state", "cash_counted", "closed_at"])
        trace(action="show_close", obj=locked, by=by, data={
            "artist": locked.artist_id, "cash_counted": cash_counted})  # fmt: skip
    return locked
