"""Selling: offer ladders per release and for merch, shipping zones, shop settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from disquaire.backstage import selectors
from disquaire.backstage.forms_selling import (
    OfferForm,
    OfferItemFormSet,
    OfferOptionFormSet,
    ShippingZoneForm,
    ShopSettingsForm,
)
from disquaire.backstage.views.common import (
    confirm_delete,
    delete_back_to_list,
    form_page,
    require_post_for_members,
)
from disquaire.catalog.models import Release
from disquaire.selling import services as selling_services
from disquaire.selling.models import Offer, ShippingZone
from disquaire.selling.selectors import shop_settings_for
from disquaire.stock.models import Item


def _offers_url(artist: str, offer: Offer | None = None) -> str:
    url = reverse("backstage:offers", kwargs={"artist": artist})
    return url + (f"#offer-{offer.pk}" if offer is not None else "")


@login_required
def offers(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    ladders = selectors.offer_ladders(artist=obj)
    ships = any(offer.ships and offer.active for ladder in ladders for offer in ladder.offers)
    return render(
        request,
        "backstage/selling/offers.html",
        {
            "artist": obj,
            "ladders": ladders,
            "unshippable": ships and not _has_shipping_zone(obj),
        },
    )


def _ships(form: OfferForm) -> bool:
    return form.cleaned_data.get("kind") in (Offer.Kind.PHYSICAL, Offer.Kind.BUNDLE)


def _has_shipping_zone(artist: Any) -> bool:
    return ShippingZone.objects.filter(artist=artist).exists()


def _options_saved(formset: OfferOptionFormSet) -> bool:  # type: ignore[valid-type]
    """Save the options; an option somebody ordered is kept, with a form error."""
    ok = True
    for form in formset.deleted_forms:  # type: ignore[attr-defined]
        option = form.instance
        if option.pk and option.order_lines.exists():
            form.add_error(None, _("This option was ordered: set its stock to 0 instead."))
            ok = False
    if not ok:
        return False
    instances = formset.save(commit=False)  # type: ignore[attr-defined]
    for option in formset.deleted_objects:  # type: ignore[attr-defined]
        option.delete()
    start = formset.instance.options.count()  # type: ignore[attr-defined]
    for position, option in enumerate(instances, start=start + 1):
        if not option.pk:
            option.position = position
        option.save()
    return True


@login_required
def offer_edit(request: HttpRequest, artist: str, offer_id: int | None = None) -> HttpResponse:
    """Create (``?release=<id>`` for a release's ladder, none for merch) or edit an offer."""
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    if offer_id:
        offer = selectors.offer_for_member(user=request.user, slug=artist, offer_id=offer_id)
        release = offer.release
    else:
        release_id = request.GET.get("release") or request.POST.get("release")
        release = (
            get_object_or_404(Release, artist=obj, pk=release_id)
            if release_id and str(release_id).isdigit()
            else None
        )
        offer = Offer(artist=obj, release=release)
    data = request.POST if request.method == "POST" else None
    form = OfferForm(data, instance=offer, currency=obj.currency, release=release)
    formset = OfferOptionFormSet(data, instance=offer, prefix="options")
    # The items an offer uses: a form without them (an older page) leaves them as they are.
    items_posted = data is not None and "items-TOTAL_FORMS" in data
    items = OfferItemFormSet(
        data if items_posted else None,
        instance=offer,
        prefix="items",
        form_kwargs={"artist": obj, "offer": offer},
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and formset.is_valid()
        and (not items_posted or not _ships(form) or items.is_valid())
    ):
        with transaction.atomic():
            fields = form.service_fields()
            if offer.pk:
                selling_services.offer_update(offer=offer, **fields)
            else:
                offer = selling_services.offer_create(artist=obj, release=release, **fields)
                formset.instance = offer
            saved = _options_saved(formset) if offer.ships else True
            if saved and offer.ships and items_posted:
                items.instance = offer
                items.save()
            if not saved:
                transaction.set_rollback(True)
        if saved:
            messages.success(request, _("The offer is saved."))
            if offer.ships and not _has_shipping_zone(obj):
                messages.warning(
                    request,
                    _(
                        "No fan can order it yet: they choose their country among your "
                        "shipping zones, and you have none."
                    ),
                )
            return redirect(_offers_url(artist, offer))
    return render(
        request,
        "backstage/selling/offer_form.html",
        {
            "artist": obj,
            "offer": offer,
            "release": release,
            "form": form,
            "formset": formset,
            "items": items,
            "has_items": Item.objects.filter(artist=obj).exists(),
            "currency": obj.currency,
            "no_shipping_zone": not _has_shipping_zone(obj),
        },
    )


@login_required
@require_post_for_members
def offer_move(request: HttpRequest, artist: str, offer_id: int) -> HttpResponse:
    """Up/down buttons: POST ``direction=up|down``."""
    offer = selectors.offer_for_member(user=request.user, slug=artist, offer_id=offer_id)
    selling_services.offer_move(offer=offer, by=-1 if request.POST.get("direction") == "up" else 1)
    return redirect(_offers_url(artist, offer))


@login_required
def offer_delete(request: HttpRequest, artist: str, offer_id: int) -> HttpResponse:
    offer = selectors.offer_for_member(user=request.user, slug=artist, offer_id=offer_id)
    if request.method != "POST":
        return confirm_delete(request, artist=offer.artist, thing=offer, cancel="backstage:offers")
    try:
        selling_services.offer_delete(offer=offer)
    except selling_services.OfferInUse as exc:
        messages.error(request, str(exc))
        return redirect(_offers_url(artist, offer))
    messages.success(request, _("The offer is deleted."))
    return redirect(_offers_url(artist))


@login_required
def shipping(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    return render(
        request,
        "backstage/selling/shipping.html",
        {"artist": obj, "zones": ShippingZone.objects.filter(artist=obj).order_by("name")},
    )


@login_required
def shipping_zone_edit(
    request: HttpRequest, artist: str, zone_id: int | None = None
) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    zone: ShippingZone | None = (
        selectors.shipping_zone_for_member(user=request.user, slug=artist, zone_id=zone_id)
        if zone_id
        else None
    )
    form = ShippingZoneForm(request.POST or None, currency=obj.currency, zone=zone)

    def act(data: dict[str, Any]) -> tuple[str, str]:
        selling_services.shipping_zone_save(
            artist=obj,
            zone=zone,
            name=data["name"],
            countries=data["countries"],
            first_item_minor=data["first_item"] or 0,
            additional_item_minor=data["additional_item"] or 0,
        )
        return _("The shipping zone is saved."), reverse(
            "backstage:shipping", kwargs={"artist": obj.slug}
        )

    return form_page(
        request,
        form=form,
        template="backstage/selling/zone_form.html",
        context={"artist": obj, "zone": zone},
        act=act,
    )


@login_required
def shipping_zone_delete(request: HttpRequest, artist: str, zone_id: int) -> HttpResponse:
    zone = selectors.shipping_zone_for_member(user=request.user, slug=artist, zone_id=zone_id)
    return delete_back_to_list(
        request,
        artist=zone.artist,
        listing="shipping",
        thing=zone.name,
        delete=lambda: selling_services.shipping_zone_delete(zone=zone),
        done=_("The shipping zone is deleted."),
    )


@login_required
def shop_settings(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    form = ShopSettingsForm(request.POST or None, instance=shop_settings_for(obj))

    def act(data: dict[str, Any]) -> tuple[str, str]:
        selling_services.shop_settings_update(artist=obj, **data)
        return _("The shop settings are saved."), reverse(
            "backstage:shop_settings", kwargs={"artist": obj.slug}
        )

    return form_page(
        request,
        form=form,
        template="backstage/selling/settings.html",
        context={"artist": obj},
        act=act,
    )
