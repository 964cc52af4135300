"""Thin HTTP views of the shop: the cart, checkout, mailing-list confirmation."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from disquaire.catalog.models import Artist
from disquaire.core.addresses import email_normalise
from disquaire.core.http import request_from_this_site
from disquaire.core.money import Money
from disquaire.core.ratelimit import client_ip, rate_hit
from disquaire.fans.referrals.web import checkout_credit, device_ensure, referral_visit
from disquaire.orders.services import Address, OrderError
from disquaire.payments.registry import providers_available
from disquaire.shop.cart import (
    CartError,
    cart_add,
    cart_groups,
    cart_remove,
    cart_without_group,
    ship_to_countries,
)
from disquaire.shop.checkout import (
    TotalChanged,
    checkout_quote,
    checkout_start,
    group_shop_settings,
    pickup_offered,
)
from disquaire.shop.forms import CheckoutForm
from disquaire.shop.middleware import visit_origin
from disquaire.shop.selectors import CartGroup

# The cart lives in a signed cookie, not in the session: a buyer needs no session row
# (and no database write) to fill a cart, and nothing in it is secret or trusted —
# ids and chosen amounts, every price computed again at checkout (shop.checkout).
CART_COOKIE = "dq_cart"
CART_SALT = "disquaire.shop.cart"
CART_MAX_AGE = 30 * 24 * 3600


def cart_read(request: HttpRequest) -> list[dict[str, Any]]:
    raw = request.get_signed_cookie(CART_COOKIE, default=None, salt=CART_SALT)
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _cart_save(response: HttpResponse, request: HttpRequest, cart: list[dict[str, Any]]) -> None:
    if not cart:
        response.delete_cookie(CART_COOKIE, samesite="Lax")
        return
    response.set_signed_cookie(
        CART_COOKIE,
        json.dumps(cart, separators=(",", ":")),
        salt=CART_SALT,
        max_age=CART_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure() or bool(settings.SESSION_COOKIE_SECURE),
    )


def _page(title: str) -> dict[str, Any]:
    return {"title": title, "canonical": "", "ld": []}


@require_http_methods(["GET", "HEAD"])
def cart_view(request: HttpRequest) -> HttpResponse:
    groups, problems = cart_groups(cart_read(request))
    for problem in problems:
        messages.warning(request, problem)
    return render(request, "shop/cart.html", {**_page(_("Your cart")), "groups": groups})


@csrf_exempt
@require_POST
def cart_add_view(request: HttpRequest) -> HttpResponse:
    """Add an offer to the visitor's cart.

    The buy forms sit on public pages that are cached and identical for every visitor,
    so they cannot carry a per-visitor CSRF token. Adding to a cart commits nothing
    (checkout, which does, keeps its CSRF check); cross-site posts are still refused
    by their Origin / Sec-Fetch-Site headers.
    """
    if not request_from_this_site(request):
        return HttpResponseForbidden(_("This form must be sent from this site."))
    try:
        cart = cart_add(
            cart=cart_read(request),
            offer_id=request.POST.get("offer"),
            option_id=request.POST.get("option"),
            quantity=request.POST.get("quantity", "1"),
            amount_text=request.POST.get("amount"),
        )
    except CartError as exc:
        messages.error(request, str(exc))
        back = request.POST.get("next", "")
        # A path on this site only: `/\host` and `//host` are other sites to a browser.
        if back.startswith("/") and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return HttpResponseRedirect(back)
        return redirect("shop:cart")
    messages.success(request, _("Added to your cart."))
    response = redirect("shop:cart")
    _cart_save(response, request, cart)
    return response


@require_POST
def cart_remove_view(request: HttpRequest) -> HttpResponse:
    response = redirect("shop:cart")
    cart = cart_remove(cart=cart_read(request), index=request.POST.get("index"))
    _cart_save(response, request, cart)
    return response


def checkout_start_view(request: HttpRequest) -> HttpResponse:
    groups, _problems = cart_groups(cart_read(request))
    if not groups:
        return redirect("shop:cart")
    return redirect("shop:checkout", artist=groups[0].artist.slug)


def _checkout_group(request: HttpRequest, artist: str) -> tuple[CartGroup | None, list[str]]:
    groups, problems = cart_groups(cart_read(request))
    # The cart's offers come with their artist: no query for the artist of the URL
    # unless this cart holds nothing of theirs (an unknown artist is still a 404).
    group = next((g for g in groups if g.artist.slug == artist), None)
    if group is None:
        get_object_or_404(Artist, slug=artist)
    return group, problems


def _pay_label(
    *, free: bool, total: int | None, currency: str, credit: int = 0, on_collection: bool = False
) -> str:
    """The Pay button's words: the exact amount that will be charged, or none yet.
    ``on_collection``: the way to pay chosen is paid when the order is collected (cash),
    so the button orders now and says what will be paid then."""
    if free:
        return _("Get it")
    if credit and total == 0:
        return _("Pay with my store credit")
    if total is None:
        return _("Show the total")
    if on_collection:
        return _("Order — pay %(total)s on collection") % {"total": Money(total, currency).format()}
    return _("Pay %(total)s") % {"total": Money(total, currency).format()}


@require_http_methods(["GET", "HEAD", "POST"])
def checkout_view(request: HttpRequest, artist: str) -> HttpResponse:
    group, problems = _checkout_group(request, artist)
    if group is None:
        for problem in problems:
            messages.warning(request, problem)
        return redirect("shop:cart")
    shop = group_shop_settings(group)
    pickup_place = shop.pickup_place.strip() if pickup_offered(group) else ""
    # Cash on collection only where the cart may be collected (checked again at checkout).
    providers = [p for p in providers_available(group.artist) if pickup_place or not p.needs_pickup]
    free = group.free
    countries = ship_to_countries(group) if group.ships else None
    form = CheckoutForm(
        request.POST or None,
        ships=group.ships,
        providers=providers,
        free=free,
        countries=countries,
        pickup_place=pickup_place,
    )
    credit = checkout_credit(request, group.artist)
    device_ensure(request)  # known before the order is written (self-referral by device)
    if credit.use:
        # The credit may pay it all: the server asks for a way to pay when it does not.
        form.fields["provider"].required = False
    error = ""
    status = 200
    if (
        request.method == "POST"
        and form.is_valid()
        and _checkouts_too_many(request, email=form.cleaned_data["email"])
    ):
        # Each checkout mails the address typed (a receipt, a mailing-list confirmation).
        error = _(
            "Too many orders were placed from here or for this address. Please try again later."
        )
        status = 429
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        address = Address(
            name=data.get("name", ""),
            address=data.get("address", ""),
            postcode=data.get("postcode", ""),
            city=data.get("city", ""),
            country=data.get("country", ""),
        )
        referrer, campaign = visit_origin(request)
        try:
            result = checkout_start(
                group=group,
                email=data["email"],
                provider_id=data.get("provider") or "",
                request=request,
                address=address,
                mailing_list_opt_in=bool(data.get("mailing_list")),
                language=get_language() or "",
                referrer=referrer,
                campaign=campaign,
                total_shown=data.get("total_shown"),
                providers=providers,
                credit_email=credit.email,
                referral=referral_visit(request, fan_email=credit.fan_email),
                delivery=data.get("delivery") or "ship",
            )
        except TotalChanged as exc:
            # Not an error of the buyer's: the page now shows the total; confirm again.
            error, status = str(exc), 409
        except (CartError, OrderError) as exc:
            error, status = str(exc), 400
        else:
            response = HttpResponseRedirect(result.redirect_url)
            _cart_save(response, request, cart_without_group(cart=cart_read(request), group=group))
            device_ensure(request, response)
            return response
    quote = checkout_quote(
        group=group,
        country=request.POST.get("country", ""),
        delivery=request.POST.get("delivery", ""),
        credit_email=credit.email,
    )
    chosen_id = request.POST.get("provider") or (
        providers[0].identifier if len(providers) == 1 else ""
    )
    chosen = next((p for p in providers if p.identifier == chosen_id), None)
    pay_labels = {
        on_collection: _pay_label(
            free=free,
            total=quote.total_minor,
            currency=group.currency,
            credit=quote.credit_minor,
            on_collection=on_collection,
        )
        for on_collection in (False, True)
    }
    context = {
        **_page(_("Checkout")),
        # The whole artist for the page (the cart's copy holds a few of its columns).
        "artist": get_object_or_404(Artist, pk=group.artist.pk),
        "group": group,
        "form": form,
        "error": error,
        "problems": problems,
        "quote": quote,
        "shipping": quote.shipping_minor,
        "total": quote.total_minor if quote.total_minor is not None else group.items_minor,
        "pay_label": pay_labels[chosen is not None and chosen.needs_pickup],
        # Both words, for the page's script to show as the way to pay changes.
        "pay_label_now": pay_labels[False],
        "pay_label_on_collection": pay_labels[True],
        "credit": credit,
        "providers": providers,
        "chosen_provider": chosen_id,
        "free": free,
        "shop_settings": shop,
        "pickup_place": pickup_place,
        "pickup": quote.delivery == "pickup",
    }
    page = render(request, "shop/checkout.html", context, status=status)
    device_ensure(request, page)
    return page


def _checkouts_too_many(request: HttpRequest, *, email: str) -> bool:
    window = settings.DISQUAIRE_CHECKOUT_WINDOW
    by_ip = rate_hit(scope="checkout-ip", value=client_ip(request), window=window)
    by_email = rate_hit(scope="checkout-email", value=email_normalise(email), window=window)
    return (
        by_ip > settings.DISQUAIRE_CHECKOUT_PER_IP
        or by_email > settings.DISQUAIRE_CHECKOUT_PER_EMAIL
    )


@require_http_methods(["GET", "HEAD"])
def checkout_sent_view(request: HttpRequest, artist: str) -> HttpResponse:
    """After a free order: its link went to the address given, not to this page."""
    found = get_object_or_404(Artist, slug=artist)
    return render(request, "shop/sent.html", {**_page(_("Check your email")), "artist": found})


@never_cache
@require_http_methods(["GET", "HEAD"])
def checkout_quote_view(request: HttpRequest, artist: str) -> HttpResponse:
    """Shipping and total for ``?country=`` as the checkout page shows them, computed by
    the same code as the order (checkout_quote): the page's script only displays it."""
    group, _problems = _checkout_group(request, artist)
    if group is None:
        return JsonResponse({"error": _("Your cart is empty.")}, status=404)
    credit = checkout_credit(request, group.artist)
    quote = checkout_quote(
        group=group,
        country=request.GET.get("country", ""),
        delivery=request.GET.get("delivery", ""),
        credit_email=credit.email,
    )
    free = group.free
    currency = group.currency

    def text(minor: int | None) -> str:
        return Money(minor, currency).format() if minor is not None else ""

    return JsonResponse(
        {
            "country": quote.country,
            "delivery": quote.delivery,
            "shipping_minor": quote.shipping_minor,
            "total_minor": quote.total_minor,
            "shipping": _("none: you pick it up")
            if quote.delivery == "pickup"
            else (text(quote.shipping_minor) or _("depends on the country")),
            "total": text(quote.total_minor)
            or _("%(items)s + shipping") % {"items": text(group.items_minor)},
            "pay": _pay_label(
                free=free, total=quote.total_minor, currency=currency, credit=quote.credit_minor
            ),
            "pay_on_collection": _pay_label(
                free=free,
                total=quote.total_minor,
                currency=currency,
                credit=quote.credit_minor,
                on_collection=True,
            ),
            "credit_minor": quote.credit_minor,
            "credit": "−" + text(quote.credit_minor) if quote.credit_minor else "",
            "error": quote.error,
        },
        status=200,
    )
