"""The band's side of the table: its products and prices, its sellers, the sales to
resolve."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from disquaire.catalog.models import Release
from disquaire.table import selectors, services
from disquaire.table.errors import TableError
from disquaire.table.forms import ProductForm, SellerForm, to_minor
from disquaire.table.models import Seller, TableProduct
from disquaire.table.views.access import Access, band_page


@band_page
def manage(request: HttpRequest, access: Access) -> HttpResponse:
    artist = access.artist
    product_form = ProductForm(
        request.POST if request.POST.get("form") == "product" else None,
        items=selectors.items(artist=artist),
        releases=Release.objects.filter(artist=artist),
        prefix="product",
    )
    seller_form = SellerForm(
        request.POST if request.POST.get("form") == "seller" else None, prefix="seller"
    )
    if request.method == "POST" and product_form.is_bound and product_form.is_valid():
        data = product_form.cleaned_data
        try:
            services.product_save(
                artist=artist,
                name=data["name"],
                price=to_minor(data["price"], artist.currency),
                category=data["category"],
                components=[(data["item"], data["units"])],
                release=data["release"],
                by=access.by,
            )
        except TableError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The product is on the table."))
            return redirect("table:manage", artist=artist.slug)
    if request.method == "POST" and seller_form.is_bound and seller_form.is_valid():
        seller = services.seller_invite(
            artist=artist,
            name=seller_form.cleaned_data["name"],
            created_by=request.user,
            by=access.by,
        )
        messages.success(
            request, _("Give %(name)s the code or the link below.") % {"name": seller.name}
        )
        return redirect("table:manage", artist=artist.slug)
    invites = [
        (s, request.build_absolute_uri(reverse("table:join_code", kwargs={"seller_code": s.code})))
        for s in selectors.sellers(artist=artist)
    ]
    return render(
        request,
        "table/manage.html",
        {
            "access": access,
            "artist": artist,
            "products": selectors.products(artist=artist),
            "product_form": product_form,
            "seller_form": seller_form,
            "invites": invites,
            "flagged": selectors.flagged_sales(artist=artist),
            "flagged_counts": selectors.flagged_counts(artist=artist),
            "shows": selectors.shows(artist=artist)[:10],
        },
    )


@band_page
@require_POST
def product_remove(request: HttpRequest, access: Access, product_id: int) -> HttpResponse:
    product = TableProduct.objects.filter(artist=access.artist, pk=product_id).first()
    if product is None:
        raise Http404
    services.product_remove(product=product, by=access.by)
    messages.success(request, _("The product is off the table."))
    return redirect("table:manage", artist=access.artist.slug)


@band_page
@require_POST
def seller_revoke(request: HttpRequest, access: Access, seller_id: int) -> HttpResponse:
    seller = Seller.objects.filter(artist=access.artist, user__isnull=True, pk=seller_id).first()
    if seller is None:
        raise Http404
    services.seller_revoke(seller=seller, by=access.by)
    messages.success(request, _("%(name)s can no longer sell.") % {"name": seller.name})
    return redirect("table:manage", artist=access.artist.slug)
