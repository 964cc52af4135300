"""The band's desk (the backstage home) and each member's choice of e-mails."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from disquaire.backstage import selectors
from disquaire.backstage.desk import DESK_LIST_LIMIT, desk_for_artist, desk_todo_counts
from disquaire.backstage.forms import MemberEmailSettingsForm
from disquaire.backstage.member_emails import member_email_settings, member_email_settings_save
from disquaire.catalog.models import Artist


def desk_render(request: HttpRequest, *, artist: Artist) -> HttpResponse:
    return render(
        request,
        "backstage/desk.html",
        {
            "artist": artist,
            "desk": desk_for_artist(artist=artist),
            "limit": DESK_LIST_LIMIT,
            "here": request.path,
        },
    )


@login_required
def desk(request: HttpRequest, artist: str) -> HttpResponse:
    return desk_render(request, artist=selectors.artist_for_member(user=request.user, slug=artist))


def artists_overview(request: HttpRequest, *, artists: list[Artist]) -> HttpResponse:
    """A member of several artists: each with its count of things to do."""
    rows = [(artist, desk_todo_counts(artist=artist)) for artist in artists]
    return render(
        request,
        "backstage/home.html",
        {"rows": [(a, counts, sum(counts.values())) for a, counts in rows]},
    )


@login_required
def member_emails(request: HttpRequest, artist: str) -> HttpResponse:
    """The signed-in member chooses which e-mails about this artist they get."""
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    membership = selectors.membership_of(user=request.user, artist=obj)
    prefs = member_email_settings(membership=membership)
    form = MemberEmailSettingsForm(request.POST or None, instance=prefs, artist=obj)
    if request.method == "POST" and form.is_valid():
        member_email_settings_save(membership=membership, choices=form.cleaned_data)
        messages.success(request, _("Your e-mail choices are saved."))
        return redirect("backstage:member_emails", artist=obj.slug)
    return render(
        request,
        "backstage/artist/member_emails.html",
        {"artist": obj, "form": form, "email": request.user.email},  # type: ignore[union-attr]
    )
