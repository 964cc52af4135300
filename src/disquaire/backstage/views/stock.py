"""Stock: the items × places table, the ledger (filtered, as CSV), receive / move / count /
damaged forms, items and places. Every change goes through ``disquaire.stock.services``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.backstage import selectors
from disquaire.backstage.forms_stock import (
    CountForm,
    DamagedForm,
    ItemForm,
    LedgerFilterForm,
    MoveForm,
    PlaceForm,
    ReceiveForm,
)
from disquaire.backstage.views.common import delete_back_to_list, form_page, paged
from disquaire.core.exporters import exporter_response
from disquaire.stock import selectors as stock_selectors
from disquaire.stock import services as stock_services
from disquaire.stock.errors import StockError
from disquaire.stock.models import Item, Movement, Place, Reason


def _item_for(artist: Any, item_id: int) -> Item:
    return get_object_or_404(Item, artist=artist, pk=item_id)


def _place_for(artist: Any, place_id: int) -> Place:
    return get_object_or_404(Place, artist=artist, pk=place_id)


@login_required
def stock(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    grid = stock_selectors.stock_grid(artist=obj)
    return render(
        request,
        "backstage/stock/grid.html",
        {
            "artist": obj,
            "grid": grid,
            "shipping": stock_selectors.place_shipping(artist=obj),
            "recent": stock_selectors.ledger(artist=obj)[:10],
        },
    )


def _filtered(request: HttpRequest, artist: Any) -> tuple[Any, LedgerFilterForm]:
    form = LedgerFilterForm(request.GET or None, artist=artist)
    data = form.cleaned_data if form.is_valid() else {}
    rows = stock_selectors.ledger(
        artist=artist,
        item=data.get("item"),
        place=data.get("place"),
        reason=data.get("reason") or None,
    )
    return rows, form


@login_required
def stock_ledger(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    rows, form = _filtered(request, obj)
    page, query = paged(request, rows, 100)
    return render(
        request,
        "backstage/stock/ledger.html",
        {"artist": obj, "page": page, "form": form, "query": query},
    )


@login_required
def stock_ledger_csv(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    rows, _form = _filtered(request, obj)
    stamp = timezone.localdate().isoformat()
    return exporter_response(
        "stock-ledger", filename=f"{obj.slug}-stock-{stamp}.csv", movements=rows.iterator()
    )


def _record(form: forms.Form, user: Any, kind: str) -> Movement | None:
    data = form.cleaned_data
    if kind == "count":
        return stock_services.count_record(
            item=data["item"],
            place=data["place"],
            counted=data["counted"],
            actor=user,
            note=data["note"],
        )
    reason = {"receive": Reason.RECEIVED, "move": Reason.MOVED}.get(kind, data.get("reason"))
    return stock_services.movement_record(
        item=data["item"],
        quantity=data["quantity"],
        reason=str(reason),
        from_place=data.get("from_place"),
        to_place=data.get("to_place"),
        actor=user,
        reference_type="backstage",
        note=data["note"],
    )


_FORMS: dict[str, tuple[type[forms.Form], Callable[[], str]]] = {
    "receive": (ReceiveForm, lambda: _("Receive stock")),
    "move": (MoveForm, lambda: _("Move stock")),
    "count": (CountForm, lambda: _("Record a count")),
    "damaged": (DamagedForm, lambda: _("Damaged or lost")),
}


@login_required
def stock_movement(request: HttpRequest, artist: str, kind: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    form_class, title = _FORMS[kind]
    initial: dict[str, Any] = {}
    if request.GET.get("item", "").isdigit():
        initial["item"] = request.GET["item"]
    if kind == "receive":
        initial["to_place"] = stock_services.place_default(artist=obj).pk
    form = form_class(request.POST or None, artist=obj, initial=initial)  # type: ignore[call-arg]
    if request.method == "POST" and form.is_valid():
        try:
            movement = _record(form, request.user, kind)
        except StockError as exc:
            form.add_error(None, str(exc))
        else:
            if movement is None:
                messages.info(request, _("The count matches the stock: nothing to record."))
            else:
                messages.success(request, _("Recorded in the ledger."))
            return redirect("backstage:stock", artist=obj.slug)
    return render(
        request,
        "backstage/stock/movement_form.html",
        {"artist": obj, "form": form, "title": title()},
    )


@login_required
def stock_item_edit(request: HttpRequest, artist: str, item_id: int | None = None) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    item = _item_for(obj, item_id) if item_id else None
    initial = (
        {
            "name": item.name,
            "numbered": item.numbered,
            "low_stock_at": item.low_stock_at,
            "release": item.release_id,
        }
        if item
        else {}
    )
    form = ItemForm(request.POST or None, initial=initial, artist=obj)

    def act(data: dict[str, Any]) -> tuple[str, str]:
        if item is None:
            stock_services.item_create(artist=obj, **data)
        else:
            stock_services.item_update(item=item, **data)
        return _("The item is saved."), reverse("backstage:stock", kwargs={"artist": obj.slug})

    return form_page(
        request,
        form=form,
        template="backstage/stock/item_form.html",
        context={"artist": obj, "item": item},
        act=act,
        refused=StockError,
    )


@login_required
def stock_item_delete(request: HttpRequest, artist: str, item_id: int) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    item = _item_for(obj, item_id)
    return delete_back_to_list(
        request,
        artist=obj,
        listing="stock",
        thing=item,
        explanation=_("Only an item no offer uses and with no movement can be deleted."),
        delete=lambda: stock_services.item_delete(item=item),
        refused=StockError,
        done=_("The item is deleted."),
    )


@login_required
def stock_place_edit(
    request: HttpRequest, artist: str, place_id: int | None = None
) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    place = _place_for(obj, place_id) if place_id else None
    initial = (
        {"name": place.name, "kind": place.kind, "is_default": place.is_default}
        if place
        else {"kind": Place.Kind.BAG}
    )
    form = PlaceForm(request.POST or None, initial=initial)

    def act(data: dict[str, Any]) -> tuple[str, str]:
        stock_services.place_save(artist=obj, place=place, **data)
        return _("The place is saved."), reverse("backstage:stock", kwargs={"artist": obj.slug})

    return form_page(
        request,
        form=form,
        template="backstage/stock/place_form.html",
        context={"artist": obj, "place": place},
        act=act,
        refused=StockError,
    )
