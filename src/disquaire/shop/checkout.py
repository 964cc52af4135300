"""Checkout: one artist's part of the cart becomes an order, its units held, and the
buyer goes to pay (or, for a free order, straight to its page)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disquaire.core.money import Money, MoneyError, currency_check
from disquaire.fans.follow import follower_request
from disquaire.fans.follow_models import ConsentSource
from disquaire.fans.referrals.services import (
    CreditError,
    ReferralVisit,
    credit_order_create,
    credit_usable,
    referral_attach,
)
from disquaire.orders.models import Delivery, Order
from disquaire.orders.outcomes import payment_checkout_start
from disquaire.orders.services import (
    Address,
    LineSpec,
    OrderError,
    OrderSpec,
    PayingOrderSpec,
    order_cancel,
    order_paid_free,
    order_place,
    payment_fail,
)
from disquaire.payments.base import BasePaymentProvider, ProviderError
from disquaire.payments.registry import providers_available
from disquaire.selling.models import ShopSettings
from disquaire.selling.selectors import shop_settings_for
from disquaire.shop.cart import CartError, ShippingError, ship_to_countries, shipping_quote
from disquaire.shop.selectors import CartGroup

# Beside the checkout's "news from the band" box, and kept with each consent given there.
CHECKOUT_CONSENT_WORDING = gettext_lazy("Send me news from the band (you will confirm by email)")


class TotalChanged(CartError):
    """The total is not the one the page showed the buyer: nothing was ordered, the page
    shows ``total_minor`` and the buyer confirms again."""

    def __init__(self, message: str, *, total_minor: int) -> None:
        super().__init__(message)
        self.total_minor = total_minor


@dataclass(frozen=True)
class Quote:
    """What the checkout shows for a country: shipping and total (None while unknown),
    or why it cannot be shipped there. ``delivery``: shipped, or picked up (no postage)."""

    country: str
    shipping_minor: int | None
    total_minor: int | None
    error: str = ""
    # Store credit taken off the total (fans.referrals), already deducted from it.
    credit_minor: int = 0
    delivery: str = Delivery.SHIP


def group_shop_settings(group: CartGroup) -> ShopSettings:
    """The shop settings of the group's artist, read once per request: the checkout
    page, its pick-up question and the order all ask for them."""
    if group.shop_settings is None:
        group.shop_settings = shop_settings_for(group.artist)
    return group.shop_settings


def pickup_offered(group: CartGroup) -> bool:
    """May this cart be collected from the band (it holds something physical and the
    band offers local pick-up with a place to say)?"""
    if not group.ships:
        return False
    found = group_shop_settings(group)
    return bool(found.pickup_enabled and found.pickup_place.strip())


def checkout_delivery(*, group: CartGroup, delivery: str = "") -> str:
    """The delivery to quote and order: pick-up only when asked for and offered."""
    if delivery == Delivery.PICKUP and pickup_offered(group):
        return Delivery.PICKUP
    return Delivery.SHIP


def checkout_country(*, group: CartGroup, country: str = "") -> str:
    """The country to quote: the buyer's choice, or the only one the shop ships to."""
    code = (country or "").strip().upper()
    if code or not group.ships:
        return code
    countries = ship_to_countries(group)
    return countries[0][0] if len(countries) == 1 else ""


def checkout_quote(
    *, group: CartGroup, country: str = "", delivery: str = "", credit_email: str = ""
) -> Quote:
    """Shipping and total for ``country`` (or the only country shipped to), or for a
    pick-up (no postage): the one computation the checkout page, its live update and
    ``checkout_start`` all use. ``credit_email``: the signed-in fan spending their store
    credit (taken off the total, up to all of it)."""
    code = checkout_country(group=group, country=country)
    if checkout_delivery(group=group, delivery=delivery) == Delivery.PICKUP:
        pickup = Quote("", 0, group.items_minor, delivery=Delivery.PICKUP)
        return _credited(pickup, group, credit_email)
    if not group.ships:
        return _credited(Quote(code, 0, group.items_minor), group, credit_email)
    if not code:
        return Quote(code, None, None)
    try:
        shipping = shipping_quote(group=group, country=code)
    except ShippingError as exc:
        return Quote(code, None, None, str(exc))
    return _credited(Quote(code, shipping, group.items_minor + shipping), group, credit_email)


def _credited(quote: Quote, group: CartGroup, credit_email: str) -> Quote:
    """``quote`` with the fan's usable credit taken off its total."""
    if not credit_email or not quote.total_minor:
        return quote
    credit = credit_usable(artist=group.artist, email=credit_email, total_minor=quote.total_minor)
    if not credit:
        return quote
    return replace(quote, total_minor=quote.total_minor - credit, credit_minor=credit)


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
    providers: list[BasePaymentProvider] | None = None,
    credit_email: str = "",
    referral: ReferralVisit | None = None,
    delivery: str = Delivery.SHIP,
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

    ``credit_email``: the signed-in fan spending their store credit (never an address
    typed in the form): as much of it as the total takes comes off what is paid, under
    the credit account's lock (``fans.referrals.services.credit_order_create``); an
    order the credit pays in full completes without a provider. ``referral``: the
    browser's share-link visit (``fans.referrals.web.referral_visit``), tied to the order.

    ``delivery``: ``pickup`` when the buyer collects the order from the band (refused
    unless the band offers it; no postage, no postal address, a name still); a way to
    pay that needs a pick-up (cash on collection) is refused for a shipped order.
    """
    try:
        currency_check(group.artist.currency)
    except MoneyError as exc:
        raise CartError(_("This shop's currency is not supported.")) from exc
    if not group.lines:
        raise CartError(_("Your cart is empty."))
    address = address or Address()
    settings_row = group_shop_settings(group)
    pickup = delivery == Delivery.PICKUP
    if pickup and not pickup_offered(group):
        raise CartError(_("This shop does not offer pick-up for this order."))
    if pickup:
        if not address.name:
            raise CartError(_("Please give your name: the band asks for it when you collect."))
        shipping = 0
        address = Address(name=address.name)
    else:
        shipping = shipping_quote(group=group, country=address.country) if group.ships else 0
        if group.ships and not (address.name and address.address and address.city):
            raise ShippingError(_("Please give the full shipping address."))
    if not group.ships:
        address = Address()
    total = group.items_minor + shipping
    credit = credit_usable(artist=group.artist, email=credit_email, total_minor=total)
    due = total - credit
    if total > 0 and total_shown != due:
        raise TotalChanged(
            _("The total is %(total)s: please check it and confirm again.")
            % {"total": Money(due, group.artist.currency).format()},
            total_minor=due,
        )
    provider = None
    if due > 0:
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
        if provider.needs_pickup and not pickup:
            raise CartError(
                _("%(way)s is only for orders you pick up: choose pick-up or another way to pay.")
                % {"way": provider.verbose_name}
            )
    delivered = Delivery.PICKUP if pickup else Delivery.SHIP
    pickup_place = settings_row.pickup_place.strip() if pickup else ""
    lines = [
        LineSpec(
            offer=line.offer,
            option=line.option,
            quantity=line.quantity,
            unit_price_minor=line.unit_price_minor,
        )
        for line in group.lines
    ]
    payment = None

    def create(credit_minor: int) -> Order:
        nonlocal payment
        spec = OrderSpec(
            artist=group.artist,
            email=email,
            lines=lines,
            shipping_minor=shipping,
            address=address,
            vat_note=settings_row.vat_note,
            language=language,
            mailing_list_opt_in=mailing_list_opt_in,
            referrer=referrer,
            campaign=campaign,
            credit_minor=credit_minor,
            delivery=delivered,
            pickup_place=pickup_place,
        )
        if provider is not None:
            spec = PayingOrderSpec.of(
                spec,
                provider=provider.identifier,
                started=provider.starts_at_once,
                is_test=provider.marks_test,
                hold=provider.hold,
            )
        made, payment = order_place(spec)
        return made

    try:
        order = credit_order_create(
            artist=group.artist, email=credit_email, credit_minor=credit, create=create
        )
    except CreditError as exc:  # the credit was spent meanwhile (another tab)
        now_due = total - credit_usable(artist=group.artist, email=credit_email, total_minor=total)
        raise TotalChanged(str(exc), total_minor=now_due) from exc
    if referral is not None:
        referral_attach(order=order, visit=referral)
    if mailing_list_opt_in:
        follower_request(
            artist=group.artist,
            email=email,
            source=ConsentSource.CHECKOUT,
            wording=str(CHECKOUT_CONSENT_WORDING),
            where=reverse("shop:checkout", kwargs={"artist": group.artist.slug}),
            language=language,
            country=address.country,
        )
    if provider is None:
        order_paid_free(order=order)
        # The order page is the key to the downloads: it goes to the address typed (in
        # the receipt), never to whoever typed it, who may not own that address.
        sent = reverse("shop:checkout_sent", kwargs={"artist": group.artist.slug})
        return CheckoutResult(order=order, redirect_url=sent)
    assert payment is not None
    try:
        url = payment_checkout_start(provider=provider, payment=payment, request=request)
    except ProviderError as exc:
        # Give the units back at once rather than holding them until the order expires.
        payment_fail(payment=payment, actor="system", reason=str(exc))
        order_cancel(order=order, actor="system", reason=str(exc))
        raise OrderError(str(exc)) from exc
    if provider.needs_pickup:
        _pickup_mail(order)
    return CheckoutResult(order=order, redirect_url=url)


def _pickup_mail(order: Order) -> None:
    """Mail the buyer where and when to collect (no receipt until they pay), from a task
    like the other mails: the request does not wait for the mail server."""
    from disquaire.orders.emails import order_pickup_enqueue

    order_id = order.pk
    transaction.on_commit(lambda: order_pickup_enqueue(order_id=order_id))
