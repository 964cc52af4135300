"""The phone app: its shell (cached by the service worker), the catalogue it keeps in
IndexedDB, the sync endpoint for its queued sales, joining and leaving."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST, require_safe

from disquaire.catalog.models import Artist
from disquaire.core.ratelimit import client_ip, rate_hit
from disquaire.table import selectors, services
from disquaire.table.epc import EpcError, epc_payload, qr_svg, sale_reference
from disquaire.table.errors import SellerRefused, TableError
from disquaire.table.views.access import SESSION_SELLER, Access, seller_api, seller_page

ZERO = uuid.UUID(int=0)
JOIN_LIMIT = 20  # tries per address per hour: a code has 31^8 values
MAX_BODY = 2 * 1024 * 1024


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """/table/: the seller's table, the member's band, or the join form."""
    pk = request.session.get(SESSION_SELLER)
    seller = selectors.seller_get(pk=pk) if isinstance(pk, int) else None
    if seller is not None and seller.revoked_at is None:
        return redirect("table:app", artist=seller.artist.slug)
    if request.user.is_authenticated:
        bands = list(Artist.objects.filter(memberships__user_id=request.user.pk).order_by("name"))
        if len(bands) == 1:
            return redirect("table:app", artist=bands[0].slug)
        if bands:
            return render(request, "table/choose.html", {"bands": bands})
    return redirect("table:join")


def _join(request: HttpRequest, code: str) -> HttpResponse | None:
    if rate_hit(scope="table-join", value=client_ip(request), window=3600) > JOIN_LIMIT:
        messages.error(request, _("Too many tries: wait an hour."))
        return None
    try:
        seller = services.seller_join(code=code)
    except TableError as exc:
        messages.error(request, str(exc))
        return None
    request.session.cycle_key()
    request.session[SESSION_SELLER] = seller.pk
    return redirect("table:app", artist=seller.artist.slug)


def join(request: HttpRequest) -> HttpResponse:
    """Type the short code the band gave."""
    if request.method == "POST":
        joined = _join(request, str(request.POST.get("code", ""))[:32])
        if joined is not None:
            return joined
    return render(request, "table/join.html", {"code": ""})


def join_code(request: HttpRequest, seller_code: str) -> HttpResponse:
    """The invitation link: a button (a link preview must not use the code up)."""
    if request.method == "POST":
        joined = _join(request, seller_code)
        if joined is not None:
            return joined
        return redirect("table:join")
    return render(request, "table/join.html", {"code": seller_code[:32]})


def app_strings() -> dict[str, str]:
    """What the app's script says, in the page's language ({n}, {name}… filled there)."""
    return {
        "online": _("Online"),
        "offline": _("Offline: sales stay on this phone"),
        "unsent": _("{n} not yet sent"),
        "unsent_one": _("1 not yet sent"),
        "all_sent": _("All sent"),
        "sending": _("Sending…"),
        "left": _("{n} left"),
        "none_left": _("none in the bag"),
        "no_show": _("No show is open: open one to sell."),
        "add": _("Add {name}, {price}"),
        "less": _("One less {name}"),
        "more": _("One more {name}"),
        "in_cart": _("{n} × {name}"),
        "sold": _("Sale recorded: {total}"),
        "empty": _("Tap a product to start a sale."),
        "exact": _("Exact"),
        "short": _("Not enough given"),
        "signout_refused": _(
            "{n} sales are not yet sent: send them (or export them) before signing out."
        ),
        "revoked": _("The band signed this seller out: export the unsent sales for them."),
        "signin": _("Join the table again to send the sales."),
        "flagged": _("{n} sales were kept for the band to check."),
        "refused": _("{n} sales were refused by the server: export them for the band."),
        "phone_offline": _("Pay on your phone needs a network: this phone is offline."),
        "phone_failed": _("The payment could not start: try again, or take another way to pay."),
        "phone_pending": _("Waiting for the fan's payment…"),
        "phone_accepted": _("Paid. Hand over the merch."),
        "phone_flagged": _("Paid; kept for the band to check."),
        "phone_cancelled": _("Cancelled: nothing was sold."),
        "show_needs": _("A show needs a date and a venue."),
        "show_opened": _("Show opened on this phone: sell! It reaches the server with the sales."),
        "count_in": _("Count in"),
        "count_out": _("Count out"),
        "counted_in": _("Counted in on this phone. Sell!"),
        "counted_out": _("Counted out on this phone. Close the show once online."),
    }


@seller_page
@ensure_csrf_cookie
@require_safe
def app(request: HttpRequest, access: Access) -> HttpResponse:
    """The shell of the phone app: all it shows comes from IndexedDB and the catalogue."""
    artist = access.artist
    return render(
        request,
        "table/app.html",
        {
            "artist": artist,
            "access": access,
            "strings": app_strings(),
            "urls": {
                "catalogue": reverse("table:catalogue", kwargs={"artist": artist.slug}),
                "sync": reverse("table:sync", kwargs={"artist": artist.slug}),
                "epc": reverse("table:epc_qr", kwargs={"artist": artist.slug}),
                "checkout": reverse("table:phone_checkout", kwargs={"artist": artist.slug}),
                # {id} is replaced by the sale's id.
                "phone_status": reverse(
                    "table:phone_status", kwargs={"artist": artist.slug, "sale_id": ZERO}
                ).replace(str(ZERO), "{id}"),
                "phone_cancel": reverse(
                    "table:phone_cancel", kwargs={"artist": artist.slug, "sale_id": ZERO}
                ).replace(str(ZERO), "{id}"),
                "signout": reverse("table:signout", kwargs={"artist": artist.slug}),
                "sw": reverse("table:sw"),
                "scope": reverse("table:home"),
            },
        },
    )


@seller_api
@require_safe
def catalogue(request: HttpRequest, access: Access) -> JsonResponse:
    data = selectors.catalogue(artist=access.artist, seller=access.seller)
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


@seller_api
@require_POST
def sync(request: HttpRequest, access: Access) -> JsonResponse:
    """Take a batch: ``{"events": [...], "sales": [...]}`` → ``{"events": [...],
    "results": [...]}``, one answer per show event (opened, counted) and per sale
    (accepted, flagged, later or refused); sending it again answers the same."""
    if len(request.body) > MAX_BODY:
        return JsonResponse(
            {"error": "too_big", "message": _("Send fewer sales at a time.")}, status=413
        )
    try:
        body: Any = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"error": "json", "message": _("The batch is not JSON.")}, status=400)
    sales = body.get("sales", []) if isinstance(body, dict) else None
    events = body.get("events", []) if isinstance(body, dict) else None
    if not isinstance(sales, list) or not isinstance(events, list):
        return JsonResponse({"error": "json", "message": _("No list of sales.")}, status=400)
    try:
        # In the order made: a sale may name the show opened in this batch.
        answered, results = services.table_sync(
            seller=access.seller, events=events, sales=sales, by=access.by
        )
    except SellerRefused as exc:
        return JsonResponse({"error": "revoked", "message": str(exc)}, status=403)
    except TableError as exc:
        return JsonResponse({"error": "batch", "message": str(exc)}, status=400)
    if events:
        return JsonResponse({"results": results, "events": answered})
    return JsonResponse({"results": results})


@seller_page
@require_POST
def signout(request: HttpRequest, access: Access) -> HttpResponse:
    """The seller leaves the table on this phone (the app refuses while sales are unsent)."""
    request.session.pop(SESSION_SELLER, None)
    return redirect("table:join")


VENDOR = ("workbox-core.prod.js", "workbox-routing.prod.js", "workbox-strategies.prod.js")


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served under /table/ so that its scope is the table app."""
    response = render(
        request,
        "table/sw.js",
        {"workbox": [static(f"table/vendor/{name}") for name in VENDOR]},
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    return response


@seller_page
@require_safe
def manifest(request: HttpRequest, access: Access) -> JsonResponse:
    """The web app manifest: the table installs on the home screen, full screen, dark."""
    start = reverse("table:app", kwargs={"artist": access.artist.slug})
    data = {
        "name": _("%(artist)s merch table") % {"artist": access.artist.name},
        "short_name": _("Merch table"),
        "start_url": start,
        "scope": reverse("table:home"),
        "id": start,
        "display": "standalone",
        "background_color": "#000000",
        "theme_color": "#000000",
        "icons": [
            {"src": static("table/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("table/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("table/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json")


@seller_api
@require_safe
def epc_qr(request: HttpRequest, access: Access) -> HttpResponse:
    """The EPC QR code (SEPA transfer) for one sale: ``?sale=<uuid>&amount=<cents>``.
    Drawn here while online; offline the phone shows the IBAN and reference as text."""
    bank = selectors.bank_details(artist=access.artist)
    if bank is None:
        raise Http404
    try:
        sale_id = uuid.UUID(request.GET.get("sale", ""))
        payload = epc_payload(
            bic=bank["bic"],
            name=bank["holder"],
            iban=bank["iban"],
            cents=int(request.GET.get("amount", "")),
            reference=sale_reference(sale_id),
        )
    except (ValueError, EpcError):
        return HttpResponse(status=400)
    response = HttpResponse(qr_svg(payload), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"
    return response
