"""First run, sign-up with email verification, sign-in, password reset, invitations."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from disquaire.backstage import selectors
from disquaire.backstage.forms import EmailLoginForm, EmailPasswordForm, SetupForm
from disquaire.backstage.services import accounts as account_services
from disquaire.backstage.services import invitations as invitation_services
from disquaire.backstage.views.artist import may_create_artists
from disquaire.backstage.views.desk import artists_overview, desk_render
from disquaire.catalog.models import Artist
from disquaire.core.addresses import email_normalise
from disquaire.core.ratelimit import client_ip, rate_hit
from disquaire.core.signing import TokenError, TokenExpired

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request: HttpRequest, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def setup(request: HttpRequest) -> HttpResponse:
    """Fresh install: create the operator's account, with the one-time setup code that
    ``disquaire serve`` printed (and wrote into the data dir). Gone once anyone exists."""
    if not account_services.operator_needed():
        raise Http404
    account_services.setup_code_ensure()
    form = SetupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        too_many = (
            rate_hit(scope="setup-ip", value=client_ip(request), window=3600)
            > settings.BACKSTAGE_SIGNUP_PER_IP
        )
        try:
            if too_many:
                raise PermissionError("too many attempts")
            user = account_services.operator_create(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                setup_code=form.cleaned_data["setup_code"],
            )
        except PermissionError:
            if not account_services.operator_needed():
                raise Http404 from None
            form.add_error(
                "setup_code",
                _("Too many attempts. Please try again later.")
                if too_many
                else _("This is not the setup code. Copy it from where the server printed it."),
            )
            status = 429 if too_many else 403
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, _("Welcome! Your shop is ready: create your artist."))
            return redirect("backstage:artist_create")
    return render(request, "backstage/accounts/setup.html", {"form": form}, status=status)


def _signups_too_many(request: HttpRequest, *, email: str) -> bool:
    """Each sign-up mails someone: limited per client and per address (an hour)."""
    window = settings.BACKSTAGE_SIGNUP_WINDOW
    by_ip = rate_hit(scope="signup-ip", value=client_ip(request), window=window)
    by_email = rate_hit(scope="signup-email", value=email, window=window)
    return (
        by_ip > settings.BACKSTAGE_SIGNUP_PER_IP or by_email > settings.BACKSTAGE_SIGNUP_PER_EMAIL
    )


def _invitation_in(next_url: str) -> invitation_services.Invitation | None:
    """The valid invitation ``next_url`` leads to, if it is an invitation link."""
    try:
        match = resolve(urlsplit(next_url).path)
    except Resolver404:
        return None
    if match.view_name != "backstage:invitation":
        return None
    try:
        return invitation_services.invitation_read(token=match.kwargs["token"])
    except (TokenError, KeyError, Artist.DoesNotExist):
        return None


def signup(request: HttpRequest) -> HttpResponse:
    """A backstage account. By invitation only unless the operator opened sign-up
    (DISQUAIRE_SIGNUP=open): the form then comes from an invitation link, for its
    address."""
    if account_services.operator_needed():
        return redirect("backstage:setup")
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    invite = _invitation_in(next_url) if next_url else None
    if settings.DISQUAIRE_SIGNUP != "open" and invite is None:
        return render(request, "backstage/accounts/signup_closed.html", status=403)
    form = EmailPasswordForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if (
        settings.DISQUAIRE_SIGNUP != "open"
        and invite is not None
        and form.is_valid()
        and form.cleaned_data["email"] != invite.email
    ):
        form.add_error(
            "email",
            _("This invitation was sent to %(email)s: sign up with that address.")
            % {"email": invite.email},
        )
    if request.method == "POST" and form.is_valid():
        if _signups_too_many(request, email=form.cleaned_data["email"]):
            form.add_error(None, _("Too many sign-ups were asked for. Please try again later."))
            return render(
                request,
                "backstage/accounts/signup.html",
                {"form": form, "next": next_url},
                status=429,
            )
        account_services.user_signup(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            next_url=next_url,
        )
        return render(
            request, "backstage/accounts/signup_sent.html", {"email": form.cleaned_data["email"]}
        )
    return render(request, "backstage/accounts/signup.html", {"form": form, "next": next_url})


@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: a GET shows a button (mail scanners open links, and must not
    confirm anything); the POST activates the account and signs in, once."""
    try:
        found = (
            account_services.user_verify(token=token)
            if request.method == "POST"
            else account_services.user_verification_read(token=token)
        )
    except TokenError as exc:
        expired = isinstance(exc, TokenExpired)
        return render(
            request, "backstage/accounts/verify_failed.html", {"expired": expired}, status=400
        )
    if request.method != "POST" and found.pending:
        return render(request, "backstage/accounts/verify.html", {"email": found.user.email})
    if request.method == "POST" and found.pending:
        login(request, found.user, backend=BACKEND)
        messages.success(request, _("Your email address is confirmed."))
        return redirect(_safe_next(request, found.next_url) or "backstage:home")
    messages.info(request, _("Your email address is already confirmed: please sign in."))
    login_url = reverse("backstage:login")
    next_url = _safe_next(request, found.next_url)
    return redirect(f"{login_url}?{urlencode({'next': next_url})}" if next_url else login_url)


class LoginView(auth_views.LoginView):
    template_name = "backstage/accounts/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if account_services.operator_needed():
            return redirect("backstage:setup")
        return super().dispatch(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error("__all__", code="throttled"):
            response.status_code = 429
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by email, limited per client and per address (each request mails
    someone); the answer is the same whether the address has an account or not."""

    template_name = "backstage/accounts/password_reset.html"
    email_template_name = "backstage/emails/password_reset.txt"
    subject_template_name = "backstage/emails/password_reset_subject.txt"
    success_url = reverse_lazy("backstage:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        if account_services.password_reset_limited(
            ip=client_ip(self.request), email=form.cleaned_data["email"]
        ):
            form.add_error(None, _("Too many reset links were asked for. Please try again later."))
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)


logout = auth_views.LogoutView.as_view()
password_reset = PasswordResetView.as_view()
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
        invite = invitation_services.invitation_read(token=token)
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
    wrong_address = email_normalise(request.user.email) != invite.email
    if request.method == "POST" and not wrong_address:
        invitation_services.invitation_accept(invitation=invite, user=request.user)
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
    if account_services.operator_needed():
        return redirect("backstage:setup")
    return home(request)
