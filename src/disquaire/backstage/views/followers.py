"""The band's followers (counts, list with consent, import, export) and its updates by
email (write, choose who, preview, test, schedule, send, follow the sending)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from disquaire.backstage import selectors
from disquaire.backstage.views.common import actor_of
from disquaire.catalog.models import Artist, Concert, NewsPost, Release
from disquaire.core.countries import COUNTRIES, countries_by_name
from disquaire.core.exporters import exporter_response
from disquaire.fans import follow_io, updates
from disquaire.fans.follow_models import FollowerState
from disquaire.fans.follow_selectors import followers_counts, followers_for_artist
from disquaire.fans.updates_mail import update_render
from disquaire.fans.updates_models import ReleaseAnnouncement, Segment, Topic, Update, UpdateState
from disquaire.table.selectors import shows as table_shows

IMPORT_MAX_BYTES = 5 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            'One address per line, or a column "email" (and optional "language", "country").'
        ),
    )
    consent = forms.CharField(
        label=gettext_lazy("The consent you hold"),
        help_text=gettext_lazy(
            "Where and how these people asked for your news (kept with each address), e.g. "
            "“signed the mailing list at our concerts, 2024”."
        ),
        max_length=500,
    )
    reconfirm = forms.BooleanField(
        label=gettext_lazy("Ask each new address to confirm by email instead"),
        required=False,
    )


class UpdateForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Text (Markdown)"), widget=forms.Textarea(attrs={"rows": 12})
    )
    topic = forms.ChoiceField(label=gettext_lazy("About"), choices=Topic.choices)
    segment = forms.ChoiceField(label=gettext_lazy("Send to"), choices=Segment.choices)
    segment_release = forms.ModelChoiceField(
        label=gettext_lazy("Release (buyers of)"), queryset=Release.objects.none(), required=False
    )
    segment_min = forms.DecimalField(
        label=gettext_lazy("Paid more than (in all)"),
        required=False,
        min_value=0,
        decimal_places=2,
    )
    segment_country = forms.ChoiceField(label=gettext_lazy("Country"), required=False)
    segment_show = forms.TypedChoiceField(
        label=gettext_lazy("Show (table buyers of)"), required=False, coerce=int, empty_value=None
    )
    concert = forms.ModelChoiceField(
        label=gettext_lazy("About a concert (only followers in its country)"),
        queryset=Concert.objects.none(),
        required=False,
        help_text=gettext_lazy(
            "Sent only to the followers who want news of concerts nearby and live in the "
            "concert's country."
        ),
    )

    def __init__(self, *args: Any, artist: Artist, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        releases = self.fields["segment_release"]
        releases.queryset = Release.objects.filter(artist=artist)  # type: ignore[attr-defined]
        countries = self.fields["segment_country"]
        countries.choices = [("", "—"), *countries_by_name(COUNTRIES)]  # type: ignore[attr-defined]
        concerts = self.fields["concert"]
        concerts.queryset = Concert.objects.filter(  # type: ignore[attr-defined]
            artist=artist, starts_at__gte=timezone.now() - timedelta(days=1)
        )
        shows = self.fields["segment_show"]
        shows.choices = [("", "—"), *((s.pk, str(s)) for s in table_shows(artist=artist))]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        segment = data.get("segment")
        if segment == Segment.BUYERS and not data.get("segment_release"):
            self.add_error("segment_release", _("Choose the release."))
        if segment == Segment.SUPPORTERS and data.get("segment_min") is None:
            self.add_error("segment_min", _("Give the amount."))
        if segment == Segment.COUNTRY and not data.get("segment_country"):
            self.add_error("segment_country", _("Choose the country."))
        if segment == Segment.TABLE_SHOW and not data.get("segment_show"):
            self.add_error("segment_show", _("Choose the show."))
        return data


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label=gettext_lazy("Send at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


# --- followers ----------------------------------------------------------------------------


@login_required
def followers(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    state = request.GET.get("state", "")
    if state not in FollowerState.values:
        state = ""
    query = request.GET.get("q", "")[:200]
    page = Paginator(followers_for_artist(artist=obj, state=state, query=query), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "backstage/fans/followers.html",
        {
            "artist": obj,
            "counts": followers_counts(artist=obj),
            "states": FollowerState.choices,
            "state": state,
            "q": query,
            "page": page,
            "import_form": ImportForm(),
        },
    )


@login_required
def followers_import(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            form.add_error("file", _("The file is too large (5 MB at most)."))
        else:
            data = upload.read().decode("utf-8-sig", errors="replace")
            result = follow_io.followers_import(
                artist=obj,
                data=data,
                consent=form.cleaned_data["consent"],
                reconfirm=form.cleaned_data["reconfirm"],
                language=obj.default_language,
                actor=actor_of(request),
            )
            messages.success(
                request,
                _(
                    "%(added)s added, %(asked)s asked to confirm, %(already)s already there, "
                    "%(invalid)s invalid."
                )
                % {
                    "added": result.added,
                    "asked": result.confirmation_sent,
                    "already": result.already,
                    "invalid": len(result.invalid),
                },
            )
            return redirect("backstage:followers", artist=obj.slug)
    return render(
        request, "backstage/fans/followers_import.html", {"artist": obj, "import_form": form}
    )


@login_required
def followers_export(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    return exporter_response("followers", filename=f"{obj.slug}-followers.csv", artist=obj)


# --- updates --------------------------------------------------------------------------------


def _update(request: HttpRequest, artist: str, update_id: int) -> tuple[Artist, Update]:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    return obj, get_object_or_404(Update.objects.select_related("artist"), pk=update_id, artist=obj)


@login_required
def updates_list(request: HttpRequest, artist: str) -> HttpResponse:
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    rows = [
        {"update": u, "counts": updates.update_counts(update=u)}
        for u in Update.objects.filter(artist=obj)[:50]
    ]
    today = timezone.localdate()
    upcoming = Release.objects.filter(artist=obj).exclude(release_date__lt=today)
    announcements = {
        a.release_id: a for a in ReleaseAnnouncement.objects.filter(release__in=upcoming)
    }
    return render(
        request,
        "backstage/fans/updates.html",
        {
            "artist": obj,
            "rows": rows,
            "posts": NewsPost.objects.filter(artist=obj).order_by("-created_at")[:10],
            "releases": [
                {
                    "release": r,
                    "announce": announcements[r.pk].enabled if r.pk in announcements else True,
                }
                for r in upcoming
            ],
        },
    )


def _form_data(form: UpdateForm) -> dict[str, Any]:
    data = form.cleaned_data
    minimum = data.get("segment_min")
    return {
        "subject": data["subject"],
        "body": data["body"],
        "topic": data["topic"],
        "segment": data["segment"],
        "segment_release": data.get("segment_release"),
        "segment_min_minor": int(minimum * 100) if minimum is not None else None,
        "segment_country": data.get("segment_country") or "",
        "segment_show_id": data.get("segment_show"),
        "concert": data.get("concert"),
    }


@login_required
def update_edit(request: HttpRequest, artist: str, update_id: int | None = None) -> HttpResponse:
    """Write an update (or change a draft); ``?news=<id>`` starts from a news post."""
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    update = get_object_or_404(Update, pk=update_id, artist=obj) if update_id is not None else None
    post = None
    initial: dict[str, Any] = {"topic": Topic.NEWS, "segment": Segment.ALL}
    if update is not None:
        initial = {
            "subject": update.subject,
            "body": update.body,
            "topic": update.topic,
            "segment": update.segment,
            "segment_release": update.segment_release,
            "segment_min": (update.segment_min_minor or 0) / 100
            if update.segment_min_minor is not None
            else None,
            "segment_country": update.segment_country,
            "segment_show": update.segment_show_id,
            "concert": update.concert,
        }
    elif request.GET.get("news", "").isdigit():
        post = get_object_or_404(NewsPost, pk=int(request.GET["news"]), artist=obj)
        initial.update({"subject": post.title, "body": post.body})
    form = UpdateForm(request.POST or None, initial=initial, artist=obj)
    if request.method == "POST" and form.is_valid():
        try:
            saved = updates.update_save(
                artist=obj,
                update=update,
                news_post=update.news_post if update else post,
                actor=actor_of(request),
                **_form_data(form),
            )
        except updates.UpdateError as exc:
            messages.error(request, str(exc))
            return redirect("backstage:updates", artist=obj.slug)
        messages.success(request, _("Saved. Preview it, send yourself a test, then send."))
        return redirect("backstage:update", artist=obj.slug, update_id=saved.pk)
    recipients = None
    if update is not None:
        recipients = updates.update_recipients(update=update).count()
    return render(
        request,
        "backstage/fans/update_form.html",
        {
            "artist": obj,
            "update": update,
            "form": form,
            "recipients": recipients,
            "counts": updates.update_counts(update=update) if update else None,
            "schedule_form": ScheduleForm(initial={"send_at": update.send_at if update else None}),
            "editable": update is None
            or update.state in (UpdateState.DRAFT, UpdateState.SCHEDULED),
            "text_preview": update_render(update=update, language=get_language() or "en").text
            if update
            else "",
        },
    )


@login_required
def update_preview(request: HttpRequest, artist: str, update_id: int) -> HttpResponse:
    """The update's HTML mail as a follower gets it (in the page's language)."""
    _obj, update = _update(request, artist, update_id)
    rendered = update_render(update=update, language=get_language() or "en")
    response = HttpResponse(rendered.html)
    # The mail's own inline styles, nothing else: no script, no request elsewhere.
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'self'; sandbox"
    )
    return response


@login_required
def update_test(request: HttpRequest, artist: str, update_id: int) -> HttpResponse:
    obj, update = _update(request, artist, update_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    to = getattr(request.user, "email", "")
    if to:
        updates.update_test_send(update=update, to=to, language=get_language() or "en")
        messages.success(request, _("A test was sent to %(email)s.") % {"email": to})
    else:
        messages.error(request, _("Your account has no email address."))
    return redirect("backstage:update", artist=obj.slug, update_id=update.pk)


@login_required
def update_send(request: HttpRequest, artist: str, update_id: int) -> HttpResponse:
    """Send now, schedule (a time given), or unschedule ("cancel")."""
    obj, update = _update(request, artist, update_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ScheduleForm(request.POST)
    actor = actor_of(request)
    try:
        if request.POST.get("action") == "unschedule":
            updates.update_schedule(update=update, send_at=None, actor=actor)
            messages.success(request, _("The update is a draft again."))
        elif request.POST.get("action") == "schedule":
            if not form.is_valid() or not form.cleaned_data.get("send_at"):
                messages.error(request, _("Give the date and time to send at."))
            else:
                when = form.cleaned_data["send_at"]
                updates.update_schedule(update=update, send_at=when, actor=actor)
                messages.success(request, _("The update will be sent at the time given."))
        else:
            count = updates.update_start(update=update, actor=actor)
            messages.success(request, _("Sending to %(count)s followers.") % {"count": count})
    except updates.UpdateError as exc:
        messages.error(request, str(exc))
    return redirect("backstage:update", artist=obj.slug, update_id=update.pk)


@login_required
def release_announce(request: HttpRequest, artist: str, release_id: int) -> HttpResponse:
    """Turn a release's release-day announcement on or off."""
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    release = get_object_or_404(Release, pk=release_id, artist=obj)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    updates.release_announce_set(
        release=release, enabled=request.POST.get("announce") == "on", actor=actor_of(request)
    )
    return redirect("backstage:updates", artist=obj.slug)
