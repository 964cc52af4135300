"""Public follow pages: the follow form (the button on artist, release and track pages
and in the embeds posts here, no script needed), the confirmation, one-click
unsubscribe (RFC 8058) and the preferences page."""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from disquaire.catalog.models import Artist
from disquaire.core.countries import COUNTRIES, countries_by_name
from disquaire.core.ratelimit import client_ip, rate_hit
from disquaire.fans import follow
from disquaire.fans.follow_models import ConsentSource, FollowerState
from disquaire.fans.pages import private_render
from disquaire.fans.selectors import fan_current


class FollowForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your email address"))
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class PreferencesForm(forms.Form):
    news = forms.BooleanField(label=gettext_lazy("News from the band"), required=False)
    releases = forms.BooleanField(label=gettext_lazy("New releases"), required=False)
    concerts = forms.BooleanField(label=gettext_lazy("Concerts nearby"), required=False)
    country = forms.ChoiceField(
        label=gettext_lazy("I live in (for concerts nearby)"),
        required=False,
        help_text=gettext_lazy("News of a concert goes to the followers in its country."),
        widget=forms.Select(attrs={"aria-describedby": "country-help"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country = self.fields["country"]
        country.choices = [("", "—"), *countries_by_name(COUNTRIES)]  # type: ignore[attr-defined]


def _where(request: HttpRequest, artist: Artist) -> str:
    """The page the follow button was on (a local path), for the consent record."""
    candidate = str(request.POST.get("next") or request.GET.get("next") or "")
    if (
        candidate
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=False
        )
        and candidate.startswith("/")
    ):
        return candidate
    return artist.get_absolute_url()


def _csrf_refused(request: HttpRequest) -> HttpResponse | None:
    """Django's CSRF check, for the one path of a csrf-exempt view that needs it."""

    def checked(request: HttpRequest) -> HttpResponse:  # not csrf_exempt, unlike the view
        return HttpResponse()

    return CsrfViewMiddleware(checked).process_view(request, checked, (), {})


# The follow box sits on public pages served from a shared cache: it can carry no CSRF
# token. Posting an address only mails it a confirmation link (as anyone may do from the
# form), so that path needs none; the signed-in fan's one click, which follows at once,
# comes from the follow page and is checked.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def follow_view(request: HttpRequest, artist: str) -> HttpResponse:
    """GET: the follow form. POST: a signed-in fan follows at once; anyone else gets a
    confirmation mail (double opt-in)."""
    band = get_object_or_404(Artist, slug=artist)
    wording = follow.consent_wording(artist=band)
    where = _where(request, band)
    fan = fan_current(request)
    language = translation.get_language() or ""
    if request.method == "POST" and fan is not None and "email" not in request.POST:
        refused = _csrf_refused(request)
        if refused is not None:
            return refused
        follower = follow.follower_follow_fan(
            artist=band, fan=fan, wording=wording, where=where, language=language
        )
        return private_render(
            request,
            "fans/follow_done.html",
            title=_("Following %(artist)s") % {"artist": band.name},
            artist=band,
            follower=follower,
            back=where,
        )
    form = FollowForm(request.POST or None, initial={"next": where})
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        if rate_hit(scope="follow-ip", value=ip, window=3600) > 30:
            return private_render(
                request,
                "fans/follow.html",
                status=429,
                title=_("Follow %(artist)s") % {"artist": band.name},
                artist=band,
                form=form,
                wording=wording,
                fan=fan,
                error=_("Too many requests. Please try again in an hour."),
            )
        # An address asked for again and again gets its confirmation mail a few times
        # only: the form cannot be used to flood someone's inbox.
        address = form.cleaned_data["email"].strip().lower()
        if rate_hit(scope="follow-email", value=address, window=3600) <= 3:
            follow.follower_request(
                artist=band,
                email=address,
                source=ConsentSource.PAGE,
                wording=wording,
                where=where,
                language=language,
            )
        # The same answer whether the address was new, pending or already following.
        return private_render(
            request,
            "fans/follow_sent.html",
            title=_("Check your inbox"),
            artist=band,
            email=form.cleaned_data["email"],
            back=where,
        )
    return private_render(
        request,
        "fans/follow.html",
        status=400 if request.method == "POST" else 200,
        title=_("Follow %(artist)s") % {"artist": band.name},
        artist=band,
        form=form,
        wording=wording,
        fan=fan,
        error="",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def follow_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a button (a mail scanner opening the link confirms nothing). POST: confirm."""
    page = partial(private_render, request, "fans/follow_confirm.html", title=_("Follow"))
    follower = follow.follower_from_token(token=token, purpose=follow.CONFIRM_PURPOSE)
    valid = follower is not None or follow.follower_confirm_legacy_valid(token=token)
    if not valid:
        return page(status=400, invalid=True)
    if request.method == "POST":
        return page(follower=follow.follower_confirm(token=token), done=True)
    return page(follower=follower)


@csrf_exempt  # RFC 8058: mail providers POST here without a session; the token is the key
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a button. POST (the page's, or a mail provider's one-click): unsubscribe."""
    page = partial(private_render, request, "fans/unsubscribe.html", title=_("Unsubscribe"))
    follower = follow.follower_from_token(token=token)
    if follower is None:
        return page(status=400, invalid=True)
    if request.method == "POST":
        follow.follower_unsubscribe(follower=follower)
        return page(follower=follower, token=token, done=True)
    return page(follower=follower, token=token)


@never_cache
@require_http_methods(["GET", "POST"])
def preferences_view(request: HttpRequest, token: str) -> HttpResponse:
    """What a follower wants to hear about (the link in every message)."""
    page = partial(private_render, request, "fans/preferences.html", title=_("Preferences"))
    follower = follow.follower_from_token(token=token)
    if follower is None:
        return page(status=400, invalid=True)
    initial = {
        "news": follower.wants_news,
        "releases": follower.wants_releases,
        "concerts": follower.wants_concerts,
        "country": follower.country,
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    saved = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        follow.follower_preferences_set(
            follower=follower,
            news=data["news"],
            releases=data["releases"],
            concerts=data["concerts"],
            # A post without the field (an older form, a client that only sends the
            # boxes) leaves the country as it is; the empty choice clears it.
            country=data["country"] if "country" in request.POST else None,
        )
        saved = True
    return page(
        follower=follower,
        form=form,
        saved=saved,
        token=token,
        following=follower.state == FollowerState.CONFIRMED,
    )
