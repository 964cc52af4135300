"""Small pieces the backstage views share."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from disquaire.backstage import selectors
from disquaire.catalog.models import Artist

View = Callable[..., HttpResponse]


def require_post_for_members(view: View) -> View:
    """Django's ``require_POST`` for a band's own address: another method gets 405, but
    only after the membership check, so that whoever is not in the band gets the same
    404 whatever the method (nothing tells them the address exists)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            if "upload_id" in kwargs:
                selectors.upload_for_member(user=request.user, upload_id=kwargs["upload_id"])
            else:
                selectors.artist_for_member(user=request.user, slug=kwargs["artist"])
            return HttpResponseNotAllowed(["POST"])
        return view(request, *args, **kwargs)

    return wrapper


def paged(request: HttpRequest, rows: Any, per_page: int) -> tuple[Any, str]:
    """The page of ``rows`` the request asks for, and its query string without the page
    (for the links to the other pages)."""
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def actor_of(request: HttpRequest) -> str:
    """Who did it, for the audit log: the backstage user's email (or id)."""
    return f"backstage:{getattr(request.user, 'email', '') or request.user.pk}"


def confirm_delete(
    request: HttpRequest,
    *,
    artist: Artist,
    thing: Any,
    cancel: str = "",
    cancel_url: str = "",
    explanation: str = "",
) -> HttpResponse:
    """The "are you sure?" page of a delete: its form posts back to the same address;
    ``cancel`` names the list to go back to (or ``cancel_url`` is where to go back);
    ``explanation`` says what goes with it."""
    return render(
        request,
        "backstage/confirm_delete.html",
        {
            "artist": artist,
            "thing": thing,
            "cancel": cancel,
            "cancel_url": cancel_url,
            "explanation": explanation,
        },
    )


def delete_after_confirming(
    request: HttpRequest,
    *,
    artist: Artist,
    thing: Any,
    back: str,
    delete: Callable[[], object],
    done: str,
    then: str,
    explanation: str = "",
    refused: type[Exception] | tuple[type[Exception], ...] = (),
) -> HttpResponse:
    """GET: the "are you sure?" page (``back`` to cancel). POST: ``delete()``; when it
    raises ``refused`` (if it can), its message and back to ``back``; otherwise ``done``
    and on to ``then``."""
    if request.method != "POST":
        return confirm_delete(
            request, artist=artist, thing=thing, cancel_url=back, explanation=explanation
        )
    try:
        delete()
    except refused as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(request, done)
    return redirect(then)


def delete_back_to_list(
    request: HttpRequest,
    *,
    artist: Artist,
    listing: str,
    thing: Any,
    delete: Callable[[], object],
    done: str,
    explanation: str = "",
    refused: type[Exception] | tuple[type[Exception], ...] = (),
) -> HttpResponse:
    """``delete_after_confirming`` for a thing listed on the band's page ``listing`` (a
    backstage URL name taking the artist): cancel, refusal and success all go back there."""
    back = reverse(f"backstage:{listing}", kwargs={"artist": artist.slug})
    return delete_after_confirming(
        request,
        artist=artist,
        thing=thing,
        back=back,
        delete=delete,
        done=done,
        then=back,
        explanation=explanation,
        refused=refused,
    )


def form_page(
    request: HttpRequest,
    *,
    form: Any,
    template: str,
    context: dict[str, Any],
    act: Callable[[dict[str, Any]], tuple[str, str]],
    refused: type[Exception] | tuple[type[Exception], ...] = (),
) -> HttpResponse:
    """A page whose form runs one service: on a valid POST, ``act(cleaned data)`` returns
    the message and the address to go to; an exception in ``refused`` is shown on the
    form instead, nothing done. Otherwise ``template`` with ``context`` and the form."""
    if request.method == "POST" and form.is_valid():
        try:
            message, url = act(form.cleaned_data)
        except refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, message)
            return redirect(url)
    return render(request, template, {**context, "form": form})
