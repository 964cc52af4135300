"""Who may use the table of an artist: its band members (signed in to the backstage),
and the sellers they invited (the phone's session names the seller)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist
from disquaire.table import selectors, services
from disquaire.table.models import Seller

SESSION_SELLER = "table_seller"


@dataclass
class Access:
    artist: Artist
    seller: Seller
    member: bool

    @property
    def by(self) -> str:
        """Who did it, for the audit log."""
        user = self.seller.user
        if self.member and user is not None:
            return f"backstage:{getattr(user, 'email', '') or user.pk}"
        return f"table-seller:{self.seller.pk}:{self.seller.name}"


class Revoked(Exception):
    pass


def access_for(request: HttpRequest, slug: str) -> Access | None:
    """The artist and the seller this request sells as; None when it may not sell.
    Raises Revoked for a seller the band signed out."""
    artist = get_object_or_404(Artist, slug=slug)
    if selectors.is_member(user=request.user, artist=artist):
        return Access(artist, services.seller_for_member(artist=artist, user=request.user), True)
    pk = request.session.get(SESSION_SELLER)
    seller = selectors.seller_get(pk=int(pk)) if isinstance(pk, int) else None
    if seller is None or seller.artist_id != artist.pk:
        return None
    if seller.revoked_at is not None:
        raise Revoked
    return Access(artist, seller, False)


View = Callable[..., HttpResponse]


def seller_page(view: View) -> View:
    """A page of the phone app: members and this artist's sellers; others are sent to
    the join page; a revoked seller is refused."""

    @wraps(view)
    def wrapped(request: HttpRequest, artist: str, **kwargs: Any) -> HttpResponse:
        try:
            access = access_for(request, artist)
        except Revoked:
            raise PermissionDenied from None
        if access is None:
            return redirect("table:join")
        return view(request, access, **kwargs)

    return wrapped


def seller_api(view: View) -> View:
    """A JSON endpoint of the phone app: 403 with a reason for anyone else."""

    @wraps(view)
    def wrapped(request: HttpRequest, artist: str, **kwargs: Any) -> HttpResponse:
        try:
            access = access_for(request, artist)
        except Revoked:
            return JsonResponse(
                {"error": "revoked", "message": _("This seller was signed out by the band.")},
                status=403,
            )
        if access is None:
            return JsonResponse(
                {"error": "signin", "message": _("Join the table again with a code.")},
                status=403,
            )
        return view(request, access, **kwargs)

    return wrapped


def band_page(view: View) -> View:
    """A page for the band's members only (products, sellers, reports): the backstage
    sign-in for anyone signed out, hidden from others."""

    @wraps(view)
    def wrapped(request: HttpRequest, artist: str, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if request.session.get(SESSION_SELLER):
                raise PermissionDenied
            return redirect_to_login(request.get_full_path(), reverse(settings.LOGIN_URL))
        access = access_for(request, artist)
        if access is None or not access.member:
            raise Http404
        return view(request, access, **kwargs)

    return wrapped


class SellerFenceMiddleware:
    """A phone signed in as a seller (and nobody else) gets 403 on the backstage and the
    admin: a friend running the table sees the table and nothing else."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path.startswith(("/backstage/", "/admin/"))
            and not request.user.is_authenticated
            and request.session.get(SESSION_SELLER)
        ):
            raise PermissionDenied
        return self.get_response(request)
