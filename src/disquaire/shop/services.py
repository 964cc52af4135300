"""The cart, shipping and checkout.

The cart lives in the session as a list of ``{"o": offer id, "p": option id, "q": quantity,
"a": chosen amount in minor units}``: ids and the buyer's own "name your price" choice,
never a price the client could have edited. Every price is computed again from the offer
at checkout.

A cart may hold several artists' offers (one instance hosts several bands); each artist
is checked out on its own and becomes one order in that artist's currency (see
docs/selling.md for why).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist
from disquaire.core.countries import countries_by_name, country_name
from disquaire.core.money import Money, MoneyError, currency_check
from disquaire.core.queries import Compiled
from disquaire.core.signing import TokenError, token_make, token_read
from disquaire.orders.models import Order
from disquaire.orders.selectors import units_left
from disquaire.orders.services import (
    Address,
    LineSpec,
    OrderError,
    order_cancel,
    order_create,
    order_create_paying,
    order_paid_free,
    payment_fail,
)
from disquaire.selling.models import Offer, OfferOption, ShippingZone
from disquaire.selling.pricing import PriceError, offer_price
from disquaire.selling.selectors import offer_for_sale, shop_settings_for
from disquaire.shop.models import Subscriber
from disquaire.shop.selectors import CartGroup, CartLine

MAX_QUANTITY = 10
MAX_CART_LINES = 30
SUBSCRIBE_PURPOSE = "shop.subscribe"


class CartError(ValueError):
    """Something the cart refuses; the message is for the buyer."""


class ShippingError(CartError):
    pass


class TotalChanged(CartError):
    """The total is not the one the page showed the buyer: nothing was ordered, the page
    shows ``total_minor`` and the buyer confirms again."""

    def __init__(self, message: str, *, total_minor: int) -> None:
        super().__init__(message)
        self.total_minor = total_minor


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


@dataclass(frozen=True)
class Quote:
    """What the checkout shows for a country: shipping and total (None while unknown),
    or why it cannot be shipped there."""

    country: str
    shipping_minor: int | None
    total_minor: int | None
    error: str = ""


def checkout_country(*, group: CartGroup, country: str = "") -> str:
    """The country to quote: the buyer's choice, or the only one the shop ships to."""
    code = (country or "").strip().upper()
    if code or not group.ships:
        return code
    countries = ship_to_countries(group)
    return countries[0][0] if len(countries) == 1 else ""


def checkout_quote(*, group: CartGroup, country: str = "") -> Quote:
    """Shipping and total for ``country`` (or the only country shipped to): the one
    computation the checkout page, its live update and ``checkout_start`` all use."""
    code = checkout_country(group=group, country=country)
    if not group.ships:
        return Quote(code, 0, group.items_minor)
    if not code:
        return Quote(code, None, None)
    try:
        shipping = shipping_quote(group=group, country=code)
    except ShippingError as exc:
        return Quote(code, None, None, str(exc))
    return Quote(code, shipping, group.items_minor + shipping)


# --- checkout ----------------------------------------------------------------------------


@dataclass
class CheckoutResult:
    order: Order
    redirect_url: str


def checkout_start(
    *,
    group: CartGroup,
    email: str,
    provider_id: str,
    request: HttpRequest,
    address: Address | None = None,
    mailing_list_opt_in: bool = False,
    language: str = "",
    referrer: str = "",
    campaign: str = "",
    total_shown: int | None = None,
    providers: list[Any] | None = None,
) -> CheckoutResult:
    """Create the order of one artist's part of the cart, hold its units, start paying.

    Raises CartError/OrderError (nothing held) with a message for the buyer. A free
    order is paid at once and goes straight to its page. ``referrer`` (a host) and
    ``campaign`` (a ``?ref=`` tag) say where the buyer came from, for the band's stats.

    ``providers``: the ways to pay the page offered (``providers_available``), when the
    caller has them already. ``total_shown`` is the total the page showed on its Pay
    button: a payment is started only for that amount; any other (a price or the
    shipping changed, or the page could not know the shipping yet) raises TotalChanged
    before anything is written.
    """
    from disquaire.payments.base import ProviderError
    from disquaire.payments.registry import providers_available

    try:
        currency_check(group.artist.currency)
    except MoneyError as exc:
        raise CartError(_("This shop's currency is not supported.")) from exc
    if not group.lines:
        raise CartError(_("Your cart is empty."))
    address = address or Address()
    shipping = shipping_quote(group=group, country=address.country) if group.ships else 0
    if group.ships and not (address.name and address.address and address.city):
        raise ShippingError(_("Please give the full shipping address."))
    if not group.ships:
        address = Address()
    settings_row = shop_settings_for(group.artist)
    total = group.items_minor + shipping
    if total > 0 and total_shown != total:
        raise TotalChanged(
            _("The total is %(total)s: please check it and confirm again.")
            % {"total": Money(total, group.artist.currency).format()},
            total_minor=total,
        )
    provider = None
    if total > 0:
        provider = next(
            (
                p
                for p in (providers if providers is not None else providers_available(group.artist))
                if p.identifier == provider_id
            ),
            None,
        )
        if provider is None:
            raise CartError(_("Please choose a way to pay."))
    spec: dict[str, Any] = {
        "artist": group.artist,
        "email": email,
        "lines": [
            LineSpec(
                offer=line.offer,
                option=line.option,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
            )
            for line in group.lines
        ],
        "shipping_minor": shipping,
        "address": address,
        "vat_note": settings_row.vat_note,
        "language": language,
        "mailing_list_opt_in": mailing_list_opt_in,
        "referrer": referrer,
        "campaign": campaign,
    }
    if provider is None:
        order = order_create(**spec)
    else:
        order, payment = order_create_paying(
            provider=provider.identifier,
            started=provider.starts_at_once,
            is_test=provider.marks_test,
            **spec,
        )
    if mailing_list_opt_in:
        subscriber_request(artist=group.artist, email=email)
    if provider is None:
        order_paid_free(order=order)
        # The order page is the key to the downloads: it goes to the address typed (in
        # the receipt), never to whoever typed it, who may not own that address.
        sent = reverse("shop:checkout_sent", kwargs={"artist": group.artist.slug})
        return CheckoutResult(order=order, redirect_url=sent)
    try:
        url = provider.start_checkout(payment, request)
    except ProviderError as exc:
        # Give the units back at once rather than holding them until the order expires.
        payment_fail(payment=payment, actor="system", reason=str(exc))
        order_cancel(order=order, actor="system", reason=str(exc))
        raise OrderError(str(exc)) from exc
    return CheckoutResult(order=order, redirect_url=url)


# --- mailing list (double opt-in) --------------------------------------------------------


def subscriber_request(*, artist: Artist, email: str) -> Subscriber | None:
    """Add an unconfirmed subscriber and mail them a signed confirmation link."""
    email = email.strip().lower()
    try:
        with transaction.atomic():
            subscriber, _created = Subscriber.objects.get_or_create(artist=artist, email=email)
    except IntegrityError:
        subscriber = Subscriber.objects.get(artist=artist, email=email)
    if subscriber.confirmed_at is not None:
        return subscriber
    token = token_make(
        purpose=SUBSCRIBE_PURPOSE, payload={"s": subscriber.pk}, ttl_seconds=14 * 86400
    )
    link = settings.SITE_URL + reverse("shop:subscribe_confirm", kwargs={"token": token})
    send_mail(
        _("Confirm your subscription to %(artist)s") % {"artist": artist.name},
        _(
            "Someone (we hope you) asked to get news from %(artist)s by email.\n"
            "To confirm, open this link:\n%(link)s\n\n"
            "If it was not you, ignore this message: nothing will be sent."
        )
        % {"artist": artist.name, "link": link},
        settings.DEFAULT_FROM_EMAIL,
        [email],
        fail_silently=True,
    )
    return subscriber


def subscriber_confirm(*, token: str) -> Subscriber | None:
    """Confirm the subscription behind a link; None for a bad or outdated link."""
    try:
        payload = token_read(purpose=SUBSCRIBE_PURPOSE, token=token)
    except TokenError:
        return None
    subscriber_id = payload.get("s")
    if not isinstance(subscriber_id, int):
        return None
    subscriber = Subscriber.objects.filter(pk=subscriber_id).select_related("artist").first()
    if subscriber is not None and subscriber.confirmed_at is None:
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["confirmed_at"])
    return subscriber
