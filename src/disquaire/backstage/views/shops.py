"""Shops that sell the band's records on consignment: the list, a shop's page and the
forms to place records, record a report or a count, take records back, settle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from disquaire.backstage import selectors as backstage_selectors
from disquaire.backstage.forms_consignment import (
    PaidForm,
    PlaceForm,
    ReturnForm,
    SettleForm,
    ShopForm,
)
from disquaire.backstage.views.common import form_page
from disquaire.catalog.models import Artist
from disquaire.consignment import selectors
from disquaire.consignment.documents import statement_pdf
from disquaire.consignment.errors import ConsignmentError
from disquaire.consignment.forms import KIND_COUNT, KIND_SALES, LinesForm
from disquaire.consignment.links import shop_link_path
from disquaire.consignment.models import ReportSource, Shop
from disquaire.consignment.services import (
    consignment_place,
    consignment_return,
    shop_create,
    shop_link_renew,
    shop_link_revoke,
    shop_update,
    statement_create,
    statement_mark_paid,
)
from disquaire.consignment.terms import terms_text
from disquaire.consignment.views import statement_filename, statement_name
from disquaire.core.exporters import exporter_response


def _artist(request: HttpRequest, slug: str) -> Artist:
    return backstage_selectors.artist_for_member(user=request.user, slug=slug)


def _shop(request: HttpRequest, slug: str, shop_id: int) -> tuple[Artist, Shop]:
    artist = _artist(request, slug)
    return artist, selectors.shop_for_artist(artist=artist, shop_id=shop_id)


def _shop_url(shop: Shop) -> str:
    return reverse(
        "backstage:consignment_shop", kwargs={"artist": shop.artist.slug, "shop_id": shop.pk}
    )


@login_required
def shops(request: HttpRequest, artist: str) -> HttpResponse:
    """The shops with units out, sold, sell-through and what they owe."""
    obj = _artist(request, artist)
    return render(
        request,
        "backstage/shops/list.html",
        {"artist": obj, "summaries": selectors.shop_summaries(artist=obj)},
    )


@login_required
def shop_edit(request: HttpRequest, artist: str, shop_id: int | None = None) -> HttpResponse:
    obj = _artist(request, artist)
    shop = selectors.shop_for_artist(artist=obj, shop_id=shop_id) if shop_id else Shop(artist=obj)
    form = ShopForm(request.POST or None, instance=shop, artist=obj)
    if request.method == "POST" and form.is_valid():
        fields = form.shop_fields()
        if shop.pk:
            shop = shop_update(shop=shop, **fields)
            messages.success(request, _("The shop is saved."))
        else:
            name = fields.pop("name")
            shop = shop_create(artist=obj, name=name, **fields)
            messages.success(request, _("The shop is added: place records in it."))
        return redirect(_shop_url(shop))
    return render(request, "backstage/shops/form.html", {"artist": obj, "shop": shop, "form": form})


@login_required
def shop_detail(request: HttpRequest, artist: str, shop_id: int) -> HttpResponse:
    obj, shop = _shop(request, artist, shop_id)
    summary = selectors.shop_summary(shop=shop)
    link = settings.SITE_URL + shop_link_path(shop=shop) if shop.link_active else ""
    return render(
        request,
        "backstage/shops/detail.html",
        {
            "artist": obj,
            "shop": shop,
            "summary": summary,
            "reports": selectors.shop_reports(shop=shop),
            "movements": selectors.shop_movements(shop=shop),
            "statements": selectors.shop_statements(shop=shop),
            "unsettled": selectors.sales_unsettled(shop=shop),
            "link": link,
            "terms": terms_text(shop=shop),
            "settle": True,
        },
    )


def _form_page(
    request: HttpRequest,
    artist: Artist,
    shop: Shop,
    *,
    title: str,
    form: Any,
    button: str,
    act: Callable[[dict[str, Any]], tuple[str, str]],
) -> HttpResponse:
    return form_page(
        request,
        form=form,
        template="backstage/shops/action.html",
        context={"artist": artist, "shop": shop, "title": title, "button": button},
        act=act,
        refused=ConsignmentError,
    )


@login_required
def shop_place(request: HttpRequest, artist: str, shop_id: int) -> HttpResponse:
    obj, shop = _shop(request, artist, shop_id)

    def act(data: dict[str, Any]) -> tuple[str, str]:
        consignment_place(
            shop=shop,
            item=data["item"],
            quantity=data["quantity"],
            price_minor=data["price"],
            from_place=data["from_place"],
            actor=request.user,
            note=data["note"],
        )
        placed = _("%(n)s × “%(item)s” placed at %(shop)s.") % {
            "n": data["quantity"],
            "item": data["item"].name,
            "shop": shop.name,
        }
        return placed, _shop_url(shop)

    form = PlaceForm(request.POST or None, artist=obj, shop=shop)
    return _form_page(
        request, obj, shop, title=_("Place records"), form=form, button=_("Place them"), act=act
    )


@login_required
def shop_report(request: HttpRequest, artist: str, shop_id: int) -> HttpResponse:
    """Record what the shop reported: its sales, or a count of what is left."""
    obj, shop = _shop(request, artist, shop_id)
    lines = selectors.shop_lines(shop=shop)
    kind = request.POST.get("kind") if request.method == "POST" else None
    forms = {
        k: LinesForm(request.POST if kind == k else None, lines=lines, kind=k)
        for k in (KIND_SALES, KIND_COUNT)
    }
    if kind in forms and forms[kind].is_valid():
        form = forms[kind]
        try:
            form.record(shop=shop, source=ReportSource.BAND, actor=request.user)
        except ConsignmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The report is recorded."))
            return redirect(_shop_url(shop))
    return render(
        request,
        "backstage/shops/report.html",
        {
            "artist": obj,
            "shop": shop,
            "sales_form": forms[KIND_SALES],
            "count_form": forms[KIND_COUNT],
        },
    )


@login_required
def shop_return(request: HttpRequest, artist: str, shop_id: int) -> HttpResponse:
    obj, shop = _shop(request, artist, shop_id)

    def act(data: dict[str, Any]) -> tuple[str, str]:
        consignment_return(
            shop=shop,
            item=data["item"],
            quantity=data["quantity"],
            to_place=data["to_place"],
            actor=request.user,
            note=data["note"],
        )
        return _("The records taken back are recorded."), _shop_url(shop)

    form = ReturnForm(request.POST or None, artist=obj, shop=shop)
    title, button = _("Take records back"), _("Record the return")
    return _form_page(request, obj, shop, title=title, form=form, button=button, act=act)


@login_required
def shop_settle(request: HttpRequest, artist: str, shop_id: int) -> HttpResponse:
    obj, shop = _shop(request, artist, shop_id)

    def act(data: dict[str, Any]) -> tuple[str, str]:
        statement = statement_create(shop=shop, period_end=data["period_end"])
        ready = _("Statement no. %(n)s is ready.") % {"n": statement.number}
        return ready, f"{_shop_url(shop)}#statement-{statement.pk}"

    form = SettleForm(request.POST or None)
    title, button = _("Make a statement"), _("Make the statement")
    return _form_page(request, obj, shop, title=title, form=form, button=button, act=act)


@login_required
def statement_paid(
    request: HttpRequest, artist: str, shop_id: int, statement_id: int
) -> HttpResponse:
    obj, shop = _shop(request, artist, shop_id)
    statement = selectors.statement_for_shop(shop=shop, statement_id=statement_id)

    def act(data: dict[str, Any]) -> tuple[str, str]:
        statement_mark_paid(
            statement=statement,
            amount_minor=data["amount"],
            paid_on=data["paid_on"],
            method=data["method"],
        )
        return _("The payment is recorded."), f"{_shop_url(shop)}#statement-{statement.pk}"

    form = PaidForm(request.POST or None, currency=statement.currency)
    title = _("Statement no. %(n)s: mark paid") % {"n": statement.number}
    button = _("Record the payment")
    return _form_page(request, obj, shop, title=title, form=form, button=button, act=act)


@login_required
def statement_pdf_download(
    request: HttpRequest, artist: str, shop_id: int, statement_id: int
) -> HttpResponse:
    _obj, shop = _shop(request, artist, shop_id)
    statement = selectors.statement_for_shop(shop=shop, statement_id=statement_id)
    response = HttpResponse(statement_pdf(statement=statement), content_type="application/pdf")
    response["Content-Disposition"] = statement_filename(statement, "pdf")
    return response


@login_required
def statement_csv_download(
    request: HttpRequest, artist: str, shop_id: int, statement_id: int
) -> HttpResponse:
    _obj, shop = _shop(request, artist, shop_id)
    statement = selectors.statement_for_shop(shop=shop, statement_id=statement_id)
    return exporter_response(
        "consignment-statement", filename=statement_name(statement, "csv"), statement=statement
    )


@login_required
def shop_link(request: HttpRequest, artist: str, shop_id: int) -> HttpResponse:
    """Revoke the shop's private link, or make a new one (the old one stops working)."""
    _obj, shop = _shop(request, artist, shop_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if request.POST.get("action") == "revoke":
        shop_link_revoke(shop=shop)
        messages.success(request, _("The private link no longer works."))
    else:
        shop_link_renew(shop=shop)
        messages.success(request, _("A new private link is ready; the old one no longer works."))
    return redirect(f"{_shop_url(shop)}#link")
