"""Redeeming a download code: the code, then an email address, then the download page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from disquaire.catalog.models import Artist
from disquaire.core.ratelimit import client_ip
from disquaire.delivery import codes
from disquaire.delivery.links import download_page_url
from disquaire.delivery.services import (
    download_links_mail,
)
from disquaire.delivery.signals import news_requested
from disquaire.delivery.views.common import _base, _private


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Download code"), max_length=40)


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Your email address"),
        help_text=gettext_lazy("Where we send your link, and the key to your library."),
    )
    ticket = forms.CharField(widget=forms.HiddenInput)
    # The same words as at checkout: kept with the consent (fans.follow).
    news = forms.BooleanField(
        label=gettext_lazy("Send me news from the band (you will confirm by email)"),
        required=False,
    )


CODE_MESSAGES = {
    codes.CodeProblem.UNKNOWN: gettext_lazy(
        "We do not know this code. Check it against your card: letters and digits only, "
        "no O or I (they would look like 0 and 1)."
    ),
    codes.CodeProblem.USED: gettext_lazy(
        "This code has already been used. If it was you, your music is in your library: "
        "sign in with the email address you gave."
    ),
    codes.CodeProblem.EXPIRED: gettext_lazy(
        "This code has expired. Please contact the band: they may give you a new one."
    ),
}


@never_cache
@require_http_methods(["GET", "POST"])
def redeem_view(request: HttpRequest, artist: str | None = None) -> HttpResponseBase:
    """A code, then an email address, then the download page."""
    found_artist = get_object_or_404(Artist, slug=artist) if artist else None
    context = _base(
        request,
        _("Redeem a download code"),
        artist=found_artist,
        library_url=reverse("fans:library"),
    )
    if found_artist is not None:
        from disquaire.catalog.theme import artist_theme_version

        context["theme_css"] = (
            reverse("storefront:artist_theme", kwargs={"artist": found_artist.slug})
            + f"?v={artist_theme_version(artist=found_artist)}"
        )
    status = 200
    if request.method == "POST" and "ticket" in request.POST:
        return _redeem_email_step(request, context)
    if request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid():
            text = form.cleaned_data["code"]
            if codes.redeem_limited(ip=client_ip(request), text=text):
                context["error"] = _(
                    "Too many attempts. Please wait a quarter of an hour, then try again."
                )
                status = 429
            else:
                try:
                    code = codes.code_find(
                        text=text, artist_slug=found_artist.slug if found_artist else None
                    )
                except codes.CodeProblem as exc:
                    codes.redeem_failure_record(ip=client_ip(request))
                    context["error"] = CODE_MESSAGES[exc.reason]
                    status = 400 if exc.reason == codes.CodeProblem.UNKNOWN else 410
                else:
                    ticket = codes.redeem_ticket_make(code=code)
                    context["code_release"] = code.batch.release
                    context["email_form"] = EmailForm(initial={"ticket": ticket})
                    return _private(render(request, "delivery/redeem.html", context), forms=True)
    else:
        form = CodeForm(initial={"code": request.GET.get("code", "")[:40]})
    context["form"] = form
    return _private(render(request, "delivery/redeem.html", context, status=status), forms=True)


def _redeem_email_step(request: HttpRequest, context: dict[str, Any]) -> HttpResponseBase:
    form = EmailForm(request.POST)
    try:
        code = codes.redeem_ticket_read(ticket=request.POST.get("ticket", ""))
    except codes.TicketInvalid:
        context["form"] = CodeForm()
        context["error"] = _("That took too long. Please enter your code again.")
        return _private(render(request, "delivery/redeem.html", context, status=400), forms=True)
    except codes.DownloadCode.DoesNotExist:
        raise Http404 from None
    if not form.is_valid():
        context["code_release"] = code.batch.release
        context["email_form"] = form
        return _private(render(request, "delivery/redeem.html", context, status=400), forms=True)
    try:
        entitlement = codes.code_redeem(code_id=code.pk, email=form.cleaned_data["email"])
    except codes.CodeProblem as exc:
        context["form"] = CodeForm()
        context["error"] = CODE_MESSAGES[exc.reason]
        return _private(render(request, "delivery/redeem.html", context, status=410), forms=True)
    download_links_mail(entitlement=entitlement)
    if form.cleaned_data.get("news"):
        news_requested.send(
            sender=EmailForm,
            artist=code.batch.release.artist,
            email=form.cleaned_data["email"],
            wording=str(form.fields["news"].label),
            where=request.path,
        )
    return redirect(download_page_url(entitlements=[entitlement], absolute=False))
