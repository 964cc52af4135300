"""The fan's library: sign in by email link, then every purchase with fresh links."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from disquaire.delivery.links import download_page_url
from disquaire.delivery.ratelimit import client_ip
from disquaire.delivery.selectors import entitlement_is_locked
from disquaire.fans import services
from disquaire.fans.selectors import fan_current, fan_library


class SignInForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your email address"))


def _render(request: HttpRequest, template: str, status: int = 200, **context: Any) -> HttpResponse:
    response = render(request, template, {"canonical": "", "ld": [], **context}, status=status)
    response["Cache-Control"] = "private, no-store"
    # Not "no-referrer": browsers would then post forms with "Origin: null", which
    # Django's CSRF check refuses; same-origin keeps the library's links on this site.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def library_view(request: HttpRequest) -> HttpResponse:
    """Signed in: the library. Otherwise: the form that mails a sign-in link."""
    fan = fan_current(request)
    if fan is not None:
        items = []
        for entitlement in fan_library(fan=fan):
            locked = entitlement_is_locked(entitlement)
            items.append(
                {
                    "entitlement": entitlement,
                    "item_release": entitlement.item_release,
                    "locked": locked,
                    "url": ""
                    if locked
                    else download_page_url(entitlements=[entitlement], absolute=False),
                }
            )
        return _render(
            request,
            "fans/library.html",
            title=_("Your library"),
            fan=fan,
            items=items,
            claimed=request.GET.get("claimed", ""),
        )
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.signin_link_send(email=form.cleaned_data["email"], ip=client_ip(request))
        except services.TooManyRequests:
            return _render(
                request,
                "fans/signin.html",
                status=429,
                title=_("Sign in to your library"),
                form=form,
                error=_("Too many sign-in links were asked for. Please try again in an hour."),
            )
        return _render(
            request,
            "fans/signin_sent.html",
            title=_("Check your inbox"),
            email=form.cleaned_data["email"],
        )
    return _render(
        request,
        "fans/signin.html",
        status=400 if request.method == "POST" else 200,
        title=_("Sign in to your library"),
        form=form,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def signin_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners may open links); the POST signs in, once."""
    messages = {
        "invalid": _("This sign-in link is not valid. Ask for a new one below."),
        "used": _("This sign-in link has already been used. Ask for a new one below."),
        "expired": _("This sign-in link has expired. Ask for a new one below."),
    }
    try:
        if request.method == "POST":
            fan = services.signin_complete(token=token)
            services.fan_login(request, fan)
            claimed = len(fan_library(fan=fan))
            return redirect(reverse("fans:library") + f"?claimed={claimed}")
        services.signin_link_check(token=token)
    except services.SignInRefused as refused:
        return _render(
            request,
            "fans/signin.html",
            status=410 if refused.reason in ("used", "expired") else 403,
            title=_("Sign in to your library"),
            form=SignInForm(),
            error=messages[refused.reason],
        )
    return _render(request, "fans/signin_confirm.html", title=_("Sign in to your library"))


@require_POST
def signout_view(request: HttpRequest) -> HttpResponse:
    services.fan_logout(request)
    return redirect("fans:library")
