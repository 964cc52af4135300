"""The fan's library: sign in by email link (or an optional password), then every
purchase with fresh links."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from disquaire.core.ratelimit import client_ip
from disquaire.delivery.links import download_page_url
from disquaire.delivery.selectors import entitlement_is_locked
from disquaire.fans import services
from disquaire.fans.models import Fan
from disquaire.fans.pages import private_render
from disquaire.fans.referrals.selectors import library_referrals
from disquaire.fans.selectors import fan_current, fan_library


class SignInForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your email address"))


class PasswordSignInForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your email address"))
    password = forms.CharField(label=gettext_lazy("Password"), strip=False)


class PasswordSetForm(forms.Form):
    new_password1 = forms.CharField(label=gettext_lazy("New password"), strip=False)
    new_password2 = forms.CharField(label=gettext_lazy("New password again"), strip=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", gettext_lazy("The two passwords differ."))
        return data


def _signin_page(
    request: HttpRequest,
    *,
    status: int = 200,
    form: SignInForm | None = None,
    password_form: PasswordSignInForm | None = None,
    error: str = "",
) -> HttpResponse:
    """The sign-in page: the form that mails a link, and the password form."""
    return private_render(
        request,
        "fans/signin.html",
        status=status,
        title=_("Sign in to your library"),
        form=form or SignInForm(),
        password_form=password_form or PasswordSignInForm(),
        error=error,
    )


def _library_page(
    request: HttpRequest,
    fan: Fan,
    *,
    status: int = 200,
    password_form: PasswordSetForm | None = None,
) -> HttpResponse:
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
    return private_render(
        request,
        "fans/library.html",
        status=status,
        title=_("Your library"),
        fan=fan,
        items=items,
        claimed=request.GET.get("claimed", ""),
        password_changed=request.GET.get("password", ""),
        signed_out_elsewhere=request.GET.get("signedout", "") == "elsewhere",
        has_password=bool(fan.password),
        password_form=password_form or PasswordSetForm(),
        password_help=password_validation.password_validators_help_texts(),
        reward_notice=request.GET.get("reward", ""),
        **library_referrals(email=fan.email),
    )


def _enter_library(request: HttpRequest, fan: Fan) -> HttpResponse:
    """Remember ``fan`` in the session and show their library, with what was claimed."""
    services.fan_login(request, fan)
    claimed = len(fan_library(fan=fan))
    return redirect(reverse("fans:library") + f"?claimed={claimed}")


@never_cache
@require_http_methods(["GET", "POST"])
def library_view(request: HttpRequest) -> HttpResponse:
    """Signed in: the library. Otherwise: the form that mails a sign-in link."""
    fan = fan_current(request)
    if fan is not None:
        return _library_page(request, fan)
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.signin_link_send(email=form.cleaned_data["email"], ip=client_ip(request))
        except services.TooManyRequests:
            return _signin_page(
                request,
                status=429,
                form=form,
                error=_("Too many sign-in links were asked for. Please try again in an hour."),
            )
        return private_render(
            request,
            "fans/signin_sent.html",
            title=_("Check your inbox"),
            email=form.cleaned_data["email"],
        )
    return _signin_page(request, status=400 if request.method == "POST" else 200, form=form)


@never_cache
@require_POST
def password_signin_view(request: HttpRequest) -> HttpResponse:
    """Sign in with email and password; one same refusal whatever went wrong."""
    form = PasswordSignInForm(request.POST)
    if not form.is_valid():
        return _signin_page(request, status=400, password_form=form)
    try:
        fan = services.fan_password_signin(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            ip=client_ip(request),
        )
    except services.TooManyRequests:
        error = _("Too many password attempts. Please try again later, or ask for a sign-in link.")
        return _signin_page(request, status=429, password_form=form, error=error)
    except services.PasswordSignInRefused:
        error = _(
            "Wrong email or password, or no password set for this address: ask for a sign-in link."
        )
        return _signin_page(request, status=403, password_form=form, error=error)
    return _enter_library(request, fan)


def _password_needs_signin(request: HttpRequest) -> HttpResponse:
    return _signin_page(request, status=403, error=_("Sign in first: then you can set a password."))


@never_cache
@require_POST
def password_set_view(request: HttpRequest) -> HttpResponse:
    """Set or change the signed-in fan's password."""
    fan = fan_current(request)
    if fan is None:
        return _password_needs_signin(request)
    form = PasswordSetForm(request.POST)
    if form.is_valid():
        try:
            services.fan_password_set(
                fan=fan, password=form.cleaned_data["new_password1"], request=request
            )
        except ValidationError as invalid:
            form.add_error("new_password1", invalid)
        else:
            return redirect(reverse("fans:library") + "?password=set")
    return _library_page(request, fan, status=400, password_form=form)


@never_cache
@require_POST
def password_remove_view(request: HttpRequest) -> HttpResponse:
    """Remove the signed-in fan's password: back to signing in by link only."""
    fan = fan_current(request)
    if fan is None:
        return _password_needs_signin(request)
    services.fan_password_remove(fan=fan, request=request)
    return redirect(reverse("fans:library") + "?password=removed")


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
            return _enter_library(request, services.signin_complete(token=token))
        services.signin_link_check(token=token)
    except services.SignInRefused as refused:
        return _signin_page(
            request,
            status=410 if refused.reason in ("used", "expired") else 403,
            error=messages[refused.reason],
        )
    return private_render(request, "fans/signin_confirm.html", title=_("Sign in to your library"))


@never_cache
@require_POST
def signout_elsewhere_view(request: HttpRequest) -> HttpResponse:
    """Sign the fan out of every other browser; this one stays signed in."""
    fan = fan_current(request)
    if fan is None:
        return _signin_page(request, status=403, error=_("Sign in first."))
    services.fan_signout_elsewhere(fan=fan, request=request)
    return redirect(reverse("fans:library") + "?signedout=elsewhere")


@require_POST
def signout_view(request: HttpRequest) -> HttpResponse:
    services.fan_logout(request)
    return redirect("fans:library")
