"""What the band keeps and where: items, places, the artist's default place."""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from disquaire.core.audit import audited
from disquaire.stock.errors import StockError
from disquaire.stock.models import Item, Place, Reason


def place_default(*, artist: Any) -> Place:
    """The artist's default home (where new stock arrives), created when missing."""
    place = Place.objects.filter(artist=artist, kind=Place.Kind.HOME, is_default=True).first()
    if place is not None:
        return place
    try:
        with transaction.atomic():
            return Place.objects.create(
                artist=artist, kind=Place.Kind.HOME, is_default=True, name=_("Home")
            )
    except IntegrityError:  # created meanwhile by a rival
        return Place.objects.get(artist=artist, kind=Place.Kind.HOME, is_default=True)


def _release_check(artist_id: int, release: Any) -> None:
    if release is not None and release.artist_id != artist_id:
        raise StockError(_("That release is another artist's."))


@audited("stock.item_create")
def item_create(
    *,
    artist: Any,
    name: str,
    numbered: bool = False,
    low_stock_at: int = 0,
    release: Any = None,
) -> Item:
    """A new item of the artist's (a copy of ``release``, or merch when None); it has no
    units until some are received."""
    name = name.strip()
    if not name:
        raise StockError(_("An item needs a name."))
    _release_check(artist.pk, release)
    return Item.objects.create(
        artist=artist,
        name=name,
        numbered=numbered,
        low_stock_at=max(0, low_stock_at),
        release=release,
    )


_KEEP: Any = object()


@audited("stock.item_update", subject="item")
def item_update(
    *, item: Item, name: str, numbered: bool, low_stock_at: int, release: Any = _KEEP
) -> Item:
    """Rename, renumber, change the warning or the release (kept when not given)."""
    name = name.strip()
    if not name:
        raise StockError(_("An item needs a name."))
    if release is _KEEP:
        release = item.release
    _release_check(item.artist_id, release)
    if numbered != item.numbered and item.movements.filter(reason=Reason.SOLD_ONLINE).exists():
        raise StockError(_("Units of this item were sold: whether it is numbered stays as it is."))
    item.name, item.numbered, item.low_stock_at = name, numbered, max(0, low_stock_at)
    item.release = release
    item.save(update_fields=["name", "numbered", "low_stock_at", "release"])
    return item


@audited("stock.item_delete", subject="item")
def item_delete(*, item: Item) -> None:
    """Delete an item no offer uses and no movement ever concerned; refused otherwise."""
    if item.movements.exists():
        raise StockError(
            _(
                "%(item)s has movements in the ledger, which is never rewritten: "
                "count it to 0 instead."
            )
            % {"item": item.name}
        )
    try:
        item.delete()
    except ProtectedError as exc:
        users = sorted({str(obj) for obj in exc.protected_objects})
        raise StockError(
            _("%(item)s is still used by an offer (%(offers)s): take it off the offer first.")
            % {"item": item.name, "offers": ", ".join(users)}
        ) from exc


@audited("stock.place_save", subject="place")
def place_save(
    *,
    artist: Any,
    place: Place | None = None,
    name: str,
    kind: str,
    is_default: bool = False,
) -> Place:
    """Create or change a place; making it the default of its kind unsets the former one."""
    name = name.strip()
    if not name:
        raise StockError(_("A place needs a name."))
    if kind not in Place.Kind.values:
        raise StockError(_("Unknown kind of place."))
    if place is not None and place.kind != kind and place.balances.exclude(quantity=0).exists():
        raise StockError(_("Units are stored there: move them before changing its kind."))
    if is_default:
        others = Place.objects.filter(artist=artist, kind=kind, is_default=True)
        if place is not None:
            others = others.exclude(pk=place.pk)
        others.update(is_default=False)
    if place is None:
        return Place.objects.create(artist=artist, name=name, kind=kind, is_default=is_default)
    place.name, place.kind, place.is_default = name, kind, is_default
    place.save(update_fields=["name", "kind", "is_default"])
    return place
