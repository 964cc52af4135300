"""Releases: details, publication, tracklist and its live processing status."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from disquaire.backstage import selectors
from disquaire.backstage.forms import PublishForm, ReleaseCreateForm, ReleaseForm, TrackForm
from disquaire.backstage.services import deletions as deletion_services
from disquaire.backstage.services import uploads as upload_services
from disquaire.backstage.views.common import delete_after_confirming, require_post_for_members
from disquaire.catalog.models import Release
from disquaire.catalog.services import editing as editing_services
from disquaire.catalog.services import processing as processing_services
from disquaire.storefront.images import release_cover_prefix, source_version, variant_response
from disquaire.storefront.listening.access import release_preview_link_revoke, release_preview_url


@login_required
def releases(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    return render(
        request,
        "backstage/releases/list.html",
        {"artist": obj, "releases": obj.releases.order_by("-created_at")},
    )


@login_required
def release_create(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    form = ReleaseCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        release = editing_services.release_create(
            artist=obj, title=form.cleaned_data["title"], kind=form.cleaned_data["kind"]
        )
        messages.success(request, _("The release is created. Add its music and cover."))
        return redirect("backstage:release", artist=obj.slug, release_id=release.pk)
    return render(request, "backstage/releases/create.html", {"artist": obj, "form": form})


def _release_context(
    request: HttpRequest, release: Release, form: ReleaseForm
) -> dict[str, object]:
    initial: dict[str, object] = {
        "action": {"published": "publish", "scheduled": "schedule"}.get(
            release.visibility, release.visibility
        )
    }
    if release.publish_at:
        initial["publish_at"] = release.publish_at
    return {
        "artist": release.artist,
        "release": release,
        "form": form,
        "publish_form": PublishForm(initial=initial),
        "tracks": selectors.release_tracks(release=release),
        "limits": upload_services.upload_limits(),
        "preview_url": release_preview_url(release=release),
        "cover_url": release_cover_url(release) if release.cover else "",
        "upload_url": reverse(
            "backstage:upload_create",
            kwargs={"artist": release.artist.slug, "release_id": release.pk},
        ),
        "status_url": reverse(
            "backstage:release_status",
            kwargs={"artist": release.artist.slug, "release_id": release.pk},
        ),
        "reorder_url": reverse(
            "backstage:tracks_reorder",
            kwargs={"artist": release.artist.slug, "release_id": release.pk},
        ),
    }


@login_required
def release_edit(request: HttpRequest, artist: str, release_id: int) -> HttpResponse:
    release = selectors.release_for_member(user=request.user, slug=artist, release_id=release_id)
    form = ReleaseForm(request.POST or None, instance=release)
    if request.method == "POST" and form.is_valid():
        form.save()
        editing_services.release_tags_set(release=release, names=form.tag_list())
        messages.success(request, _("The release is saved."))
        return redirect("backstage:release", artist=artist, release_id=release.pk)
    return render(request, "backstage/releases/edit.html", _release_context(request, release, form))


@login_required
@require_post_for_members
def release_publish(request: HttpRequest, artist: str, release_id: int) -> HttpResponse:
    release = selectors.release_for_member(user=request.user, slug=artist, release_id=release_id)
    form = PublishForm(request.POST)
    if not form.is_valid():
        context = _release_context(request, release, ReleaseForm(instance=release))
        context["publish_form"] = form
        return render(request, "backstage/releases/edit.html", context, status=400)
    action = form.cleaned_data["action"]
    if action == "publish":
        editing_services.release_publish(release=release)
        messages.success(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("The release is published."),
                release.get_absolute_url(),
                _("View it on the site"),
            ),
        )
    elif action == "schedule":
        editing_services.release_schedule(release=release, at=form.cleaned_data["publish_at"])
        messages.success(request, _("The release will be published at the time you chose."))
    elif action == "unlisted":
        editing_services.release_unlist(release=release)
        messages.success(request, _("The release is unlisted: only the preview link opens it."))
    else:
        editing_services.release_draft(release=release)
        messages.success(request, _("The release is back to draft."))
    return redirect("backstage:release", artist=artist, release_id=release.pk)


@login_required
@require_post_for_members
def preview_revoke(request: HttpRequest, artist: str, release_id: int) -> HttpResponse:
    release = selectors.release_for_member(user=request.user, slug=artist, release_id=release_id)
    release_preview_link_revoke(release=release)
    messages.success(request, _("The old preview link no longer works; here is a new one."))
    return redirect("backstage:release", artist=artist, release_id=release.pk)


@login_required
def release_status(request: HttpRequest, artist: str, release_id: int) -> JsonResponse:
    release = selectors.release_for_member(user=request.user, slug=artist, release_id=release_id)
    return JsonResponse(selectors.release_status_data(release=release))


@login_required
@require_post_for_members
def tracks_reorder(request: HttpRequest, artist: str, release_id: int) -> HttpResponse:
    """POST JSON ``{"order": [track ids]}``: the new tracklist order."""
    release = selectors.release_for_member(user=request.user, slug=artist, release_id=release_id)
    try:
        order = [int(i) for i in json.loads(request.body or b"{}")["order"]]
        editing_services.tracks_reorder(release=release, track_ids=order)
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": _("The order must list every track once.")}, status=400)
    return JsonResponse(selectors.release_status_data(release=release))


@login_required
@require_post_for_members
def track_move(request: HttpRequest, artist: str, release_id: int, track_id: int) -> HttpResponse:
    """Up/down buttons (work without JavaScript): POST ``direction=up|down``."""
    track = selectors.track_for_member(
        user=request.user, slug=artist, release_id=release_id, track_id=track_id
    )
    editing_services.track_move(track=track, by=-1 if request.POST.get("direction") == "up" else 1)
    if request.headers.get("accept", "").startswith("application/json"):
        return JsonResponse(selectors.release_status_data(release=track.release))
    return redirect(
        reverse("backstage:release", kwargs={"artist": artist, "release_id": release_id})
        + f"#track-{track.pk}"
    )


@login_required
def track_edit(request: HttpRequest, artist: str, release_id: int, track_id: int) -> HttpResponse:
    track = selectors.track_for_member(
        user=request.user, slug=artist, release_id=release_id, track_id=track_id
    )
    form = TrackForm(request.POST or None, instance=track)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The track is saved."))
        return redirect("backstage:release", artist=artist, release_id=release_id)
    return render(
        request,
        "backstage/releases/track_form.html",
        {"artist": track.release.artist, "release": track.release, "track": track, "form": form},
    )


@login_required
@require_post_for_members
def track_retry(request: HttpRequest, artist: str, release_id: int, track_id: int) -> HttpResponse:
    track = selectors.track_for_member(
        user=request.user, slug=artist, release_id=release_id, track_id=track_id
    )
    processing_services.track_retry(track=track)
    if request.headers.get("accept", "").startswith("application/json"):
        return JsonResponse(selectors.release_status_data(release=track.release))
    messages.success(request, _("The track is being processed again."))
    return redirect("backstage:release", artist=artist, release_id=release_id)


@login_required
def release_delete(request: HttpRequest, artist: str, release_id: int) -> HttpResponse:
    """GET: are you sure? POST: delete the release, if no fan has it."""
    release = selectors.release_for_member(user=request.user, slug=artist, release_id=release_id)
    return delete_after_confirming(
        request,
        artist=release.artist,
        thing=release,
        back=reverse("backstage:release", kwargs={"artist": artist, "release_id": release.pk}),
        explanation=_(
            "Its tracks, their files, its offers and its statistics go with it. A "
            "release fans have ordered or were given cannot be deleted."
        ),
        delete=lambda: deletion_services.release_delete(release=release),
        refused=deletion_services.InUse,
        done=_("The release is deleted."),
        then=reverse("backstage:releases", kwargs={"artist": artist}),
    )


@login_required
def track_delete(request: HttpRequest, artist: str, release_id: int, track_id: int) -> HttpResponse:
    """GET: are you sure? POST: delete the track, if no fan has its release."""
    track = selectors.track_for_member(
        user=request.user, slug=artist, release_id=release_id, track_id=track_id
    )
    back = reverse("backstage:release", kwargs={"artist": artist, "release_id": release_id})
    return delete_after_confirming(
        request,
        artist=track.release.artist,
        thing=track.title,
        back=back,
        explanation=_("Its audio files and its offers go with it; the tracks after it move up."),
        delete=lambda: deletion_services.track_delete(track=track),
        refused=deletion_services.InUse,
        done=_("The track is deleted."),
        then=back + "#tracks-title",
    )


def release_cover_url(release: Release) -> str:
    """The band's preview of the cover (any visibility), versioned by the file's name."""
    url = reverse(
        "backstage:release_cover",
        kwargs={"artist": release.artist.slug, "release_id": release.pk},
    )
    return f"{url}?v={source_version(release.cover)}"


@login_required
def release_cover(request: HttpRequest, artist: str, release_id: int) -> HttpResponse:
    """The cover at 300 px for the band, drafts included (the public address serves
    published releases only; stored files are never served by their storage address)."""
    release = selectors.release_for_member(user=request.user, slug=artist, release_id=release_id)
    if not release.cover:
        raise Http404("no cover")
    return variant_response(
        source=release.cover, prefix=release_cover_prefix(release.pk), width=300, public=False
    )
