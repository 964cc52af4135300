"""First run, sign-up with email verification, sign-in, password reset, invitations."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from disquaire.backstage import selectors, services
from disquaire.backstage.forms import EmailLoginForm, EmailPasswordForm
from disquaire.backstage.views.artist import may_create_artists
from disquaire.backstage.views.desk import artists_overview, desk_render
from disquaire.catalog.models import Artist
from disquaire.core.signing import TokenError, TokenExpired
from disquaire.delivery.ratelimit import client_ip, rate_hit

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request: HttpRequest, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def setup(request: HttpRequest) -> HttpResponse:
    """Fresh install: create the operator's account. Gone once anyone exists."""
    if not services.operator_needed():
        raise Http404
    form = EmailPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.operator_create(
                email=form.cleaned_data["email"], password=form.cleaned_data["password1"]
            )
        except PermissionError as exc:
            raise Http404 from exc
        login(request, user, backend=BACKEND)
        messages.success(request, _("Welcome! Your shop is ready: create your artist."))
        return redirect("backstage:artist_create")
    return render(request, "backstage/accounts/setup.html", {"form": form})


def _signups_too_many(request: HttpRequest, *, email: str) -> bool:
    """Each sign-up mails someone: limited per client and per address (an hour)."""
    window = settings.BACKSTAGE_SIGNUP_WINDOW
    by_ip = rate_hit(scope="signup-ip", value=client_ip(request), window=window)
    by_email = rate_hit(scope="signup-email", value=email, window=window)
    return (
        by_ip > settings.BACKSTAGE_SIGNUP_PER_IP or by_email > settings.BACKSTAGE_SIGNUP_PER_EMAIL
    )


def signup(request: HttpRequest) -> HttpResponse:
    if services.operator_needed():
        return redirect("backstage:setup")
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    form = EmailPasswordForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        if _signups_too_many(request, email=form.cleaned_data["email"]):
            form.add_error(None, _("Too many sign-ups were asked for. Please try again later."))
            return render(
                request,
                "backstage/accounts/signup.html",
                {"form": form, "next": next_url},
                status=429,
            )
        services.user_signup(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            next_url=next_url,
        )
        return render(
            request, "backstage/accounts/signup_sent.html", {"email": form.cleaned_data["email"]}
        )
    return render(request, "backstage/accounts/signup.html", {"form": form, "next": next_url})


def verify(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user, next_url = services.user_verify(token=token)
    except TokenError as exc:
        expired = isinstance(exc, TokenExpired)
        return render(
            request, "backstage/accounts/verify_failed.html", {"expired": expired}, status=400
        )
    login(request, user, backend=BACKEND)
    messages.success(request, _("Your email address is confirmed."))
    return redirect(_safe_next(request, next_url) or "backstage:home")


class LoginView(auth_views.LoginView):
    template_name = "backstage/accounts/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if services.operator_needed():
            return redirect("backstage:setup")
        return super().dispatch(request, *args, **kwargs)


logout = auth_views.LogoutView.as_view()
password_reset = auth_views.PasswordResetView.as_view(
    template_name="backstage/accounts/password_reset.html",
    email_template_name="backstage/emails/password_reset.txt",
    subject_template_name="backstage/emails/password_reset_subject.txt",
    success_url=reverse_lazy("backstage:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="backstage/accounts/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="backstage/accounts/password_reset_confirm.html",
    success_url=reverse_lazy("backstage:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="backstage/accounts/password_reset_complete.html"
)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the signed-in user's password (the current one asked first); every other
    browser signed in with the old one is signed out, this one stays."""

    template_name = "backstage/accounts/password_change.html"
    success_url = reverse_lazy("backstage:home")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is changed."))
        return response


password_change = PasswordChangeView.as_view()


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Show an invitation; accepting it (POST) makes the signed-in user a member."""
    try:
        invite = services.invitation_read(token=token)
    except (TokenError, KeyError, Artist.DoesNotExist):
        return render(request, "backstage/accounts/invitation_invalid.html", status=400)
    if not request.user.is_authenticated:
        here = request.get_full_path()
        return render(
            request,
            "backstage/accounts/invitation_anonymous.html",
            {
                "invite": invite,
                "login_url": f"{reverse('backstage:login')}?{urlencode({'next': here})}",
                "signup_url": f"{reverse('backstage:signup')}?"
                + urlencode({"next": here, "email": invite.email}),
            },
        )
    wrong_address = request.user.email.lower() != invite.email
    if request.method == "POST" and not wrong_address:
        services.invitation_accept(invitation=invite, user=request.user)
        messages.success(
            request, _("You are now a member of %(artist)s.") % {"artist": invite.artist}
        )
        return redirect("backstage:artist_edit", artist=invite.artist.slug)
    return render(
        request,
        "backstage/accounts/invitation.html",
        {"invite": invite, "wrong_address": wrong_address},
        status=403 if wrong_address else 200,
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The band's desk; a member of several artists first sees them all, each with its
    count of things to do."""
    artists = list(selectors.artists_for_user(user=request.user))
    if not artists and may_create_artists(request.user):
        return redirect("backstage:artist_create")
    if len(artists) == 1:
        return desk_render(request, artist=artists[0])
    return artists_overview(request, artists=artists)


def home_or_setup(request: HttpRequest) -> HttpResponse:
    if services.operator_needed():
        return redirect("backstage:setup")
    return home(request)
