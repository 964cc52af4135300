"""The artist's page: identity, links, theme, members, concerts and news."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from disquaire.backstage import selectors
from disquaire.backstage.forms import (
    ArtistCreateForm,
    ArtistForm,
    ConcertForm,
    InviteForm,
    LinkFormSet,
    NewsPostForm,
)
from disquaire.backstage.services import invitations as invitation_services
from disquaire.backstage.services import members as member_services
from disquaire.backstage.views.common import (
    confirm_delete,
    delete_back_to_list,
    form_page,
    require_post_for_members,
)
from disquaire.catalog.markdown import markdown_to_html
from disquaire.catalog.models import Artist, Concert, Membership, NewsPost
from disquaire.core.colour import AA_TEXT, contrast_ratio, hex_to_rgb, theme_readable


def may_create_artists(user: Any) -> bool:
    """Staff (the operator) create artist pages and invite the bands; anyone signed in
    may only when the operator chose so (DISQUAIRE_ARTIST_CREATION=anyone)."""
    if settings.DISQUAIRE_ARTIST_CREATION == "anyone":
        return bool(user.is_authenticated)
    return bool(user.is_authenticated and user.is_staff)


@login_required(login_url="backstage:login")
def artist_create(request: HttpRequest) -> HttpResponse:
    if not may_create_artists(request.user):
        raise PermissionDenied
    form = ArtistCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        artist = member_services.artist_create(name=form.cleaned_data["name"], owner=request.user)  # type: ignore[arg-type]
        messages.success(
            request, _("%(name)s is created. Now tell fans who you are.") % {"name": artist.name}
        )
        return redirect("backstage:artist_edit", artist=artist.slug)
    return render(request, "backstage/artist/create.html", {"form": form})


def theme_report(*, background: str, text: str, accent: str) -> dict[str, Any]:
    """The colours the public site will use, and whether each was nudged for contrast."""
    theme = theme_readable(background=background, text=text, accent=accent)
    chosen = {"fg": text.lower(), "accent": accent.lower()}
    used = {"fg": theme.fg, "accent": theme.accent}
    return {
        "bg": theme.bg,
        "fg": theme.fg,
        "accent": theme.accent,
        "accent_fg": theme.accent_fg,
        "nudged": {k: chosen[k] != used[k] for k in used},
        "ratios": {
            "fg": round(contrast_ratio(theme.fg, theme.bg), 2),
            "accent": round(contrast_ratio(theme.accent, theme.bg), 2),
        },
        "minimum": AA_TEXT,
    }


@login_required
def artist_edit(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    form = ArtistForm(request.POST or None, request.FILES or None, instance=obj)
    links = LinkFormSet(request.POST or None, initial=obj.links or [], prefix="links")
    if request.method == "POST" and form.is_valid() and links.is_valid():
        edited = form.save(commit=False)
        edited.links = [
            {"label": f.cleaned_data["label"], "url": f.cleaned_data["url"]}
            for f in links.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        edited.save()
        messages.success(request, _("The artist page is saved."))
        return redirect("backstage:artist_edit", artist=obj.slug)
    obj.refresh_from_db()
    report = theme_report(
        background=obj.theme_background, text=obj.theme_text, accent=obj.theme_accent
    )
    return render(
        request,
        "backstage/artist/edit.html",
        {"artist": obj, "form": form, "links": links, "theme": report},
    )


@login_required
def theme_preview(request: HttpRequest, artist: str) -> JsonResponse:
    """The nudged colours for the live preview (GET ?bg=&fg=&accent=)."""
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    values = {
        "background": request.GET.get("bg", obj.theme_background),
        "text": request.GET.get("fg", obj.theme_text),
        "accent": request.GET.get("accent", obj.theme_accent),
    }
    try:
        for value in values.values():
            hex_to_rgb(value)
    except ValueError:
        return JsonResponse({"error": _("Use colours like #1a2b3c.")}, status=400)
    return JsonResponse(theme_report(**values))


def _owner_required(request: HttpRequest, artist: Artist) -> None:
    membership = selectors.membership_of(user=request.user, artist=artist)
    if membership.role != Membership.Role.OWNER:
        raise PermissionDenied


@login_required
def members(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    me = selectors.membership_of(user=request.user, artist=obj)
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        _owner_required(request, obj)
        if form.is_valid():
            invitation_services.invitation_send(
                artist=obj,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=request.user,  # type: ignore[arg-type]
            )
            messages.success(
                request,
                _("An invitation is on its way to %(email)s.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("backstage:members", artist=obj.slug)
    memberships = obj.memberships.select_related("user").order_by("created_at")
    return render(
        request,
        "backstage/artist/members.html",
        {
            "artist": obj,
            "form": form,
            "memberships": memberships,
            "me": me,
            "roles": Membership.Role.choices,
        },
    )


@login_required
@require_post_for_members
def member_role(request: HttpRequest, artist: str, membership_id: int) -> HttpResponse:
    """POST ``role``: an owner changes a member's role (the last owner stays owner)."""
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    try:
        changed = member_services.membership_role_set(
            artist=obj,
            membership_id=membership_id,
            role=request.POST.get("role", ""),
            by=request.user,  # type: ignore[arg-type]
        )
    except Membership.DoesNotExist as exc:
        raise Http404("no such member") from exc
    except member_services.MembershipRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(email)s is now %(role)s.")
            % {"email": changed.user.email, "role": changed.get_role_display()},
        )
    return redirect("backstage:members", artist=obj.slug)


@login_required
def member_remove(request: HttpRequest, artist: str, membership_id: int) -> HttpResponse:
    """GET: are you sure? POST: an owner removes a member, or a member leaves."""
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    membership = (
        Membership.objects.select_related("user").filter(artist=obj, pk=membership_id).first()
    )
    if membership is None:
        raise Http404("no such member")
    leaving = membership.user_id == request.user.pk
    if request.method != "POST":
        return confirm_delete(
            request,
            artist=obj,
            thing=membership.user.email,
            cancel="backstage:members",
            explanation=_(
                "You will no longer see this artist's backstage. Invitations not yet "
                "accepted stop working too."
            )
            if leaving
            else _(
                "They lose access to this artist's backstage at once. Invitations not "
                "yet accepted stop working too: send new ones if needed."
            ),
        )
    try:
        member_services.membership_remove(
            artist=obj,
            membership_id=membership_id,
            by=request.user,  # type: ignore[arg-type]
        )
    except Membership.DoesNotExist as exc:
        raise Http404("no such member") from exc
    except member_services.MembershipRefused as exc:
        messages.error(request, str(exc))
        return redirect("backstage:members", artist=obj.slug)
    if leaving:
        messages.success(request, _("You left %(artist)s.") % {"artist": obj.name})
        return redirect("backstage:home")
    messages.success(
        request, _("%(email)s is no longer a member.") % {"email": membership.user.email}
    )
    return redirect("backstage:members", artist=obj.slug)


# --- concerts ---------------------------------------------------------------------------------


@login_required
def concerts(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    return render(
        request,
        "backstage/artist/concerts.html",
        {"artist": obj, "concerts": obj.concerts.order_by("-starts_at")},
    )


@login_required
def concert_edit(request: HttpRequest, artist: str, concert_id: int | None = None) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    concert = (
        selectors.concert_for_member(user=request.user, slug=artist, concert_id=concert_id)
        if concert_id
        else Concert(artist=obj)
    )
    form = ConcertForm(request.POST or None, instance=concert)

    def act(_data: dict[str, Any]) -> tuple[str, str]:
        form.save()
        return _("The concert is saved."), reverse(
            "backstage:concerts", kwargs={"artist": obj.slug}
        )

    return form_page(
        request,
        form=form,
        template="backstage/artist/concert_form.html",
        context={"artist": obj, "concert": concert},
        act=act,
    )


@login_required
def concert_delete(request: HttpRequest, artist: str, concert_id: int) -> HttpResponse:
    concert = selectors.concert_for_member(user=request.user, slug=artist, concert_id=concert_id)
    return delete_back_to_list(
        request,
        artist=concert.artist,
        listing="concerts",
        thing=concert,
        delete=concert.delete,
        done=_("The concert is deleted."),
    )


# --- news -------------------------------------------------------------------------------------


@login_required
def news(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    posts = obj.news.order_by("-created_at")
    return render(request, "backstage/artist/news.html", {"artist": obj, "posts": posts})


def _news_slug(artist: Artist, title: str, exclude: int | None) -> str:
    others = NewsPost.objects.filter(artist=artist)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    root = (slugify(title) or "news")[:100]
    candidate, counter = root, 1
    while others.filter(slug=candidate).exists():
        counter += 1
        candidate = f"{root}-{counter}"
    return candidate


@login_required
def news_edit(request: HttpRequest, artist: str, post_id: int | None = None) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    post = (
        selectors.news_for_member(user=request.user, slug=artist, post_id=post_id)
        if post_id
        else NewsPost(artist=obj)
    )
    form = NewsPostForm(request.POST or None, instance=post)

    def act(_data: dict[str, Any]) -> tuple[str, str]:
        edited = form.save(commit=False)
        if not edited.slug:
            edited.slug = _news_slug(obj, edited.title, edited.pk)
        edited.save()
        return _("The news post is saved."), reverse("backstage:news", kwargs={"artist": obj.slug})

    preview = markdown_to_html(form["body"].value() or "")
    return form_page(
        request,
        form=form,
        template="backstage/artist/news_form.html",
        context={"artist": obj, "post": post, "preview": preview},
        act=act,
    )


@login_required
def news_delete(request: HttpRequest, artist: str, post_id: int) -> HttpResponse:
    post = selectors.news_for_member(user=request.user, slug=artist, post_id=post_id)
    return delete_back_to_list(
        request,
        artist=post.artist,
        listing="news",
        thing=post,
        delete=post.delete,
        done=_("The news post is deleted."),
    )


@login_required
@require_post_for_members
def markdown_preview(request: HttpRequest, artist: str) -> HttpResponse:
    """POST ``text``: the sanitised HTML the public page will show."""
    selectors.artist_for_member(user=request.user, slug=artist)
    return JsonResponse({"html": str(markdown_to_html(request.POST.get("text", "")))})
