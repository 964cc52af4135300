"""The cart and its shipping: what the buyer picked, resolved against the database, and
what sending it costs.

The cart is a list of ``{"o": offer id, "p": option id, "q": quantity, "a": chosen amount
in minor units}`` (kept in a signed cookie): ids and the buyer's own "name your price"
choice, never a price the client could have edited. Every price is computed again from
the offer. A cart may hold several artists' offers; each artist is one ``CartGroup``,
checked out on its own (``shop.checkout``; docs/selling.md says why).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from disquaire.core.countries import countries_by_name, country_name
from disquaire.core.money import Money, MoneyError
from disquaire.core.queries import Compiled
from disquaire.orders.selectors import units_left
from disquaire.selling.models import Offer, OfferOption, ShippingZone
from disquaire.selling.pricing import PriceError, offer_price
from disquaire.selling.selectors import offer_for_sale
from disquaire.shop.selectors import CartGroup, CartLine

MAX_QUANTITY = 10
MAX_CART_LINES = 30


class CartError(ValueError):
    """Something the cart refuses; the message is for the buyer."""


class ShippingError(CartError):
    pass


# --- cart --------------------------------------------------------------------------------


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


ID_MAX = 2**63 - 1  # the largest primary key (BigAutoField); databases refuse beyond


def _id(value: Any) -> int | None:
    """A primary key from the form or the cookie: None unless a positive integer a
    database can compare (a larger one crashed the query, not just missed)."""
    number = _int(value)
    return number if number is not None and 0 < number <= ID_MAX else None


_RELEASE_FIELDS = ("title", "slug", "kind", "release_date", "visibility", "publish_at", "artist")
# What a cart line, the checkout and the order need of an offer's artist, release and track
# (a release's description, a track's waveform and lyrics are not needed to sell them):
# a third of the columns, and the query compiles three times faster.
CART_OFFER_FIELDS = (
    *(f.name for f in Offer._meta.concrete_fields),
    *(f"artist__{name}" for name in ("name", "slug", "currency")),
    *(f"release__{name}" for name in _RELEASE_FIELDS),
    *(f"track__{name}" for name in ("title", "slug", "position", "release")),
    *(f"track__release__{name}" for name in _RELEASE_FIELDS),
)


def _offers_with_options_flag() -> QuerySet[Offer]:
    """Offers with what a cart line shows, and ``has_options`` (in the same query)."""
    return (
        Offer.objects.select_related("artist", "release", "track__release")
        .only(*CART_OFFER_FIELDS)
        .annotate(has_options=Exists(OfferOption.objects.filter(offer=OuterRef("pk"))))
    )


# The cart's two reads, compiled once (core.queries.Compiled): one offer, and the offers
# of a cart (one plan per number of offers).
_CART_OFFER = Compiled(lambda pk: _offers_with_options_flag().filter(pk=pk).order_by()[:1])
_CART_OFFERS = Compiled(lambda pks: _offers_with_options_flag().filter(pk__in=pks).order_by())


def cart_add(
    *,
    cart: list[dict[str, Any]],
    offer_id: Any,
    option_id: Any = None,
    quantity: Any = 1,
    amount_text: str | None = None,
) -> list[dict[str, Any]]:
    """Return the cart with the offer added; raise CartError with a message otherwise."""
    offer_pk = _id(offer_id)
    offer = _CART_OFFER.one(pk=offer_pk) if offer_pk else None
    if offer is None or not offer_for_sale(offer):
        raise CartError(_("This item is not for sale."))
    option: OfferOption | None = None
    if getattr(offer, "has_options", True):
        option_pk = _id(option_id)
        option = offer.options.filter(pk=option_pk).first() if option_pk else None
        if option is None:
            raise CartError(_("Please choose an option."))
    qty = _int(quantity)
    if qty is None or not 1 <= qty <= MAX_QUANTITY:
        raise CartError(_("Choose a quantity from 1 to %(max)d.") % {"max": MAX_QUANTITY})
    try:
        amount = offer_price(offer=offer, amount_text=amount_text)
    except PriceError as exc:
        raise CartError(str(exc)) from exc
    if units_left(offer=offer, option=option) == 0:
        raise CartError(_("Sorry, this is sold out."))
    cart = [dict(item) for item in cart]
    option_pk = option.pk if option else None
    for item in cart:
        if item.get("o") == offer.pk and item.get("p") == option_pk:
            item["q"] = min(MAX_QUANTITY, int(item.get("q", 1)) + qty)
            item["a"] = amount
            return cart
    if len(cart) >= MAX_CART_LINES:
        raise CartError(_("Your cart is full."))
    cart.append({"o": offer.pk, "p": option_pk, "q": qty, "a": amount})
    return cart


def cart_remove(*, cart: list[dict[str, Any]], index: Any) -> list[dict[str, Any]]:
    position = _int(index)
    return [dict(item) for i, item in enumerate(cart) if i != position]


def cart_without_group(*, cart: list[dict[str, Any]], group: CartGroup) -> list[dict[str, Any]]:
    """The cart without the lines of ``group`` (checked out), by their place in the cart."""
    done = {line.index for line in group.lines}
    items = [item for item in cart if isinstance(item, dict)]
    return [dict(item) for index, item in enumerate(items) if index not in done]


def cart_groups(cart: Iterable[dict[str, Any]]) -> tuple[list[CartGroup], list[str]]:
    """The cart resolved against the database, one group per artist, with prices
    recomputed; and messages about lines dropped (no longer for sale, bad amount)."""
    items = [item for item in cart if isinstance(item, dict)]
    offer_ids = {_id(item.get("o")) for item in items}
    offers = {o.pk: o for o in _CART_OFFERS.all(pks=sorted(i for i in offer_ids if i))}
    option_ids = [p for p in (_id(i.get("p")) for i in items) if p]
    options = {o.pk: o for o in OfferOption.objects.filter(pk__in=option_ids)} if option_ids else {}
    groups: dict[int, CartGroup] = {}
    problems: list[str] = []
    for index, item in enumerate(items):
        offer = offers.get(_id(item.get("o")) or 0)
        if offer is None or not offer_for_sale(offer):
            problems.append(_("An item in your cart is no longer for sale and was left out."))
            continue
        option = options.get(_id(item.get("p")) or 0)
        if option is not None and option.offer_id != offer.pk:
            option = None
        if option is None and getattr(offer, "has_options", True):
            problems.append(_("An item in your cart is no longer for sale and was left out."))
            continue
        qty = _int(item.get("q"))
        if qty is None or not 1 <= qty <= MAX_QUANTITY:
            continue
        try:
            chosen = _int(item.get("a"))
            amount_text = None
            if offer.pricing == Offer.Pricing.PWYW and chosen is not None:
                amount_text = str(Money(chosen, offer.artist.currency).decimal)
            price = offer_price(offer=offer, amount_text=amount_text)
        except (PriceError, MoneyError) as exc:
            problems.append(str(exc))
            continue
        group = groups.setdefault(offer.artist_id, CartGroup(artist=offer.artist))
        group.lines.append(
            CartLine(index=index, offer=offer, option=option, quantity=qty, unit_price_minor=price)
        )
    return list(groups.values()), problems


# --- shipping ----------------------------------------------------------------------------


_ZONES = Compiled(lambda artist_id: ShippingZone.objects.filter(artist_id=artist_id).order_by("pk"))


def shipping_zones(group: CartGroup) -> list[ShippingZone]:
    """The zones of the group's artist (read once per group)."""
    if group.zones is None:
        group.zones = list(_ZONES.all(artist_id=group.artist.pk))
    return group.zones


def ship_to_countries(group: CartGroup) -> list[tuple[str, str]]:
    """Every country the group's artist ships to, as (code, name in the active language),
    sorted by name."""
    return countries_by_name(str(c) for zone in shipping_zones(group) for c in zone.countries)


def shipping_quote(*, group: CartGroup, country: str) -> int:
    """Shipping in minor units: the zone's first-item price, plus each additional item."""
    units = sum(line.quantity for line in group.lines if line.offer.ships)
    if units == 0:
        return 0
    code = (country or "").strip().upper()
    if not code:
        raise ShippingError(_("Please give the country to ship to."))
    for zone in shipping_zones(group):
        if code in [str(c).upper() for c in zone.countries]:
            return zone.first_item_minor + zone.additional_item_minor * (units - 1)
    raise ShippingError(
        _("Sorry, this shop does not ship to %(country)s.") % {"country": country_name(code)}
    )
