"""Delivery pages: the download page, the file and zip endpoints, code redemption.

Thin: the checks live in ``links``/``selectors``/``services``/``codes``. Every refusal
is a page that tells the fan what to do next (``delivery/problem.html``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from disquaire.audio.formats import FORMATS
from disquaire.catalog.models import Artist, Release
from disquaire.core.fileserve import file_response, file_response_grants_start
from disquaire.core.ratelimit import client_ip, rate_count, rate_hit
from disquaire.core.signing import TokenExpired, TokenInvalid, token_make, token_read
from disquaire.delivery import codes
from disquaire.delivery.links import download_page_url, download_token_read
from disquaire.delivery.models import Entitlement
from disquaire.delivery.selectors import (
    FileChoice,
    FormatChoice,
    entitlement_is_locked,
    entitlements_by_ids,
    file_choice,
    format_pick,
    item_formats,
    item_has_track,
    item_tracks,
)
from disquaire.delivery.services import (
    DownloadLimitReached,
    download_count,
    download_limit,
    download_links_mail,
    track_downloads_record,
)
from disquaire.delivery.zips import (
    release_zip_ready,
    release_zip_request,
    zip_filename,
    zip_fingerprint,
    zip_stream,
)

FORMAT_COOKIE = "dq_format"
REDEEM_PURPOSE = "redeem"
REDEEM_TICKET_TTL = 3600


def _base(request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    return {"title": title, "canonical": "", "ld": [], **extra}


def _private(response: HttpResponseBase, *, forms: bool = False) -> HttpResponseBase:
    # Download pages carry bearer links: never cached, indexed or sent as a referrer.
    # Pages with a POST form keep "same-origin": under "no-referrer" browsers send
    # "Origin: null", which Django's CSRF check refuses.
    response["Referrer-Policy"] = "same-origin" if forms else "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    return response


def problem(
    request: HttpRequest,
    *,
    status: int,
    kind: str,
    artist: Artist | None = None,
    **extra: Any,
) -> HttpResponse:
    """A refusal page: what happened and what the fan can do about it."""
    titles = {
        "expired": _("This download link has expired"),
        "invalid": _("This download link does not work"),
        "revoked": _("These downloads are closed"),
        "limit": _("Download limit reached"),
        "locked": _("Not released yet"),
        "missing": _("This file is not available"),
    }
    context = _base(
        request,
        titles.get(kind, _("Downloads")),
        kind=kind,
        artist=artist,
        library_url=reverse("fans:library"),
        limit=download_limit(),
        **extra,
    )
    response = render(request, "delivery/problem.html", context, status=status)
    _private(response)
    return response


# --- the download page ---------------------------------------------------------------------


@dataclass
class Item:
    entitlement: Entitlement
    release: Release
    locked: bool = False
    revoked: bool = False
    formats: list[FormatChoice] = field(default_factory=list)
    picked: FormatChoice | None = None
    files: list[tuple[FileChoice, str]] = field(default_factory=list)
    zip_url: str = ""
    preparing: bool = False
    field_name: str = ""


def _read_token(request: HttpRequest, token: str) -> list[int] | HttpResponse:
    try:
        return download_token_read(token=token)
    except TokenExpired:
        return problem(request, status=410, kind="expired")
    except TokenInvalid:
        return problem(request, status=403, kind="invalid")


def _item(request: HttpRequest, token: str, entitlement: Entitlement, remembered: str) -> Item:
    release = entitlement.item_release
    item = Item(entitlement=entitlement, release=release, field_name=f"f{entitlement.pk}")
    if entitlement.revoked_at is not None:
        item.revoked = True
        return item
    if entitlement_is_locked(entitlement):
        item.locked = True
        return item
    tracks = item_tracks(entitlement)
    item.formats = item_formats(tracks)
    item.picked = format_pick(item.formats, request.GET.get(item.field_name), remembered)
    item.preparing = not item.formats
    if item.picked is None:
        return item
    key = item.picked.key
    for choice in item.picked.files:
        url = reverse(
            "delivery:file",
            kwargs={
                "token": token,
                "entitlement_id": entitlement.pk,
                "track_id": choice.track.pk,
                "key": key,
            },
        )
        item.files.append((choice, url))
    if entitlement.release_id is not None and len(item.picked.files) > 1:
        item.zip_url = reverse(
            "delivery:zip",
            kwargs={"token": token, "entitlement_id": entitlement.pk, "key": key},
        )
    return item


@never_cache
def download_page_view(request: HttpRequest, token: str) -> HttpResponseBase:
    """Each item of the link: a format choice with sizes, the files, the whole release."""
    ids = _read_token(request, token)
    if isinstance(ids, HttpResponse):
        return ids
    entitlements = entitlements_by_ids(ids)
    if not entitlements:
        return problem(request, status=403, kind="invalid")
    remembered = request.COOKIES.get(FORMAT_COOKIE, "")
    items = [_item(request, token, e, remembered) for e in entitlements]
    if all(item.revoked for item in items):
        return problem(request, status=403, kind="revoked", artist=items[0].release.artist)
    artists = {item.release.artist_id for item in items}
    artist = items[0].release.artist if len(artists) == 1 else None
    context = _base(
        request,
        _("Your downloads"),
        items=items,
        artist=artist,
        library_url=reverse("fans:library"),
        expires_hours=max(1, int(settings.DISQUAIRE_DOWNLOAD_LINK_TTL) // 3600),
    )
    response = render(request, "delivery/page.html", context)
    chosen = [request.GET.get(item.field_name) for item in items]
    chosen_keys = [key for key in chosen if key and key in FORMATS]
    if chosen_keys:
        _remember_format(request, response, chosen_keys[-1])
    return _private(response)


def _remember_format(request: HttpRequest, response: HttpResponseBase, key: str) -> None:
    response.set_cookie(
        FORMAT_COOKIE,
        key,
        max_age=365 * 86400,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure() or bool(getattr(settings, "SESSION_COOKIE_SECURE", False)),
    )


# --- files ------------------------------------------------------------------------------------


def _entitlement_for(
    request: HttpRequest, token: str, entitlement_id: int
) -> Entitlement | HttpResponse:
    """The entitlement a file URL names, if its token opens it and it may download now."""
    ids = _read_token(request, token)
    if isinstance(ids, HttpResponse):
        return ids
    if entitlement_id not in ids:
        # A valid link of someone else's purchase with another item's id spliced in.
        return problem(request, status=403, kind="invalid")
    found = entitlements_by_ids([entitlement_id])
    if not found:
        return problem(request, status=403, kind="invalid")
    entitlement = found[0]
    artist = entitlement.item_release.artist
    if entitlement.revoked_at is not None:
        return problem(request, status=403, kind="revoked", artist=artist)
    if entitlement_is_locked(entitlement):
        return problem(
            request,
            status=403,
            kind="locked",
            artist=artist,
            release_date=entitlement.item_release.release_date,
        )
    return entitlement


def _count(request: HttpRequest, entitlement: Entitlement, *, counts: bool) -> HttpResponse | None:
    """Count one download when ``counts`` (the answer sends byte 0 of the file, or a URL
    that does); refuse once the limit is reached."""
    if not counts:
        return None
    try:
        download_count(entitlement=entitlement)
    except DownloadLimitReached:
        return problem(request, status=403, kind="limit", artist=entitlement.item_release.artist)
    return None


@never_cache
@require_http_methods(["GET", "HEAD"])
def download_file_view(
    request: HttpRequest, token: str, entitlement_id: int, track_id: int, key: str
) -> HttpResponseBase:
    """One track in one format, through core.fileserve (Range, X-Accel, S3)."""
    entitlement = _entitlement_for(request, token, entitlement_id)
    if isinstance(entitlement, HttpResponse):
        return entitlement
    file = file_choice(entitlement=entitlement, track_id=track_id, key=key)
    if file is None:
        if not item_has_track(entitlement=entitlement, track_id=track_id):
            return problem(request, status=403, kind="invalid")
        return problem(request, status=404, kind="missing", artist=entitlement.item_release.artist)
    rendition = file.rendition
    etag = rendition.sha256 or f"r{rendition.pk}-{rendition.bytes}"
    counts = file_response_grants_start(request, size=rendition.bytes, etag=etag)
    refused = _count(request, entitlement, counts=counts)
    if refused is not None:
        return refused
    if counts:
        track_downloads_record(tracks=[rendition.track])
    response = file_response(
        request,
        name=rendition.file.name,
        content_type=file.content_type,
        download_filename=file.filename,
        etag=etag,
    )
    _remember_format(request, response, key)
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_http_methods(["GET", "HEAD"])
def download_zip_view(
    request: HttpRequest, token: str, entitlement_id: int, key: str
) -> HttpResponseBase:
    """The whole release in one format: the stored zip through core.fileserve when it
    is built, else streamed on the fly while the stored one is queued (see zips)."""
    entitlement = _entitlement_for(request, token, entitlement_id)
    if isinstance(entitlement, HttpResponse):
        return entitlement
    release = entitlement.release
    if release is None:
        return problem(request, status=403, kind="invalid")
    choice = next((c for c in item_formats(item_tracks(entitlement)) if c.key == key), None)
    if choice is None:
        return problem(request, status=404, kind="missing", artist=release.artist)
    fingerprint = zip_fingerprint(release=release, files=choice.files)
    filename = zip_filename(release=release, label=choice.label)
    stored = release_zip_ready(release=release, key=key, fingerprint=fingerprint)
    etag = f"zip-{fingerprint[:32]}"
    if stored is not None and stored.file.name:
        counts = file_response_grants_start(request, size=stored.bytes, etag=etag)
    else:
        # Streamed on the fly, which ignores Range: every GET sends the whole zip.
        counts = request.method == "GET"
    refused = _count(request, entitlement, counts=counts)
    if refused is not None:
        return refused
    if counts:
        track_downloads_record(tracks=item_tracks(entitlement))
    response: HttpResponseBase
    if stored is not None and stored.file.name:
        response = file_response(
            request,
            name=stored.file.name,
            content_type="application/zip",
            download_filename=filename,
            etag=etag,
        )
    else:
        release_zip_request(release=release, key=key, fingerprint=fingerprint)
        if request.method == "HEAD":
            response = HttpResponse(content_type="application/zip")
        else:
            response = StreamingHttpResponse(
                zip_stream(release=release, files=choice.files), content_type="application/zip"
            )
        response["Content-Disposition"] = content_disposition_header(True, filename) or ""
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
    _remember_format(request, response, key)
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- redeeming codes --------------------------------------------------------------------------


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


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _limited(request: HttpRequest, code_text: str) -> bool:
    """Too many failed attempts from this address, or attempts on this code."""
    window = _setting("DISQUAIRE_REDEEM_WINDOW", 900)
    ip_limit = _setting("DISQUAIRE_REDEEM_ATTEMPTS_PER_IP", 20)
    code_limit = _setting("DISQUAIRE_REDEEM_ATTEMPTS_PER_CODE", 10)
    if rate_count(scope="redeem-ip", value=client_ip(request)) >= ip_limit:
        return True
    normalised = codes.code_normalise(code_text)
    if normalised:
        return rate_hit(scope="redeem-code", value=normalised, window=window) > code_limit
    return False


def _failed(request: HttpRequest) -> None:
    rate_hit(
        scope="redeem-ip",
        value=client_ip(request),
        window=_setting("DISQUAIRE_REDEEM_WINDOW", 900),
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
        from disquaire.storefront.theme import artist_theme_version

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
            if _limited(request, text):
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
                    _failed(request)
                    context["error"] = CODE_MESSAGES[exc.reason]
                    status = 400 if exc.reason == codes.CodeProblem.UNKNOWN else 410
                else:
                    ticket = token_make(
                        purpose=REDEEM_PURPOSE,
                        payload={"c": code.pk},
                        ttl_seconds=REDEEM_TICKET_TTL,
                    )
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
        payload = token_read(purpose=REDEEM_PURPOSE, token=request.POST.get("ticket", ""))
        code_id = int(payload["c"])
    except (TokenInvalid, TokenExpired, KeyError, TypeError, ValueError):
        context["form"] = CodeForm()
        context["error"] = _("That took too long. Please enter your code again.")
        return _private(render(request, "delivery/redeem.html", context, status=400), forms=True)
    code = codes.DownloadCode.objects.select_related("batch__release").filter(pk=code_id).first()
    if code is None:
        raise Http404
    if not form.is_valid():
        context["code_release"] = code.batch.release
        context["email_form"] = form
        return _private(render(request, "delivery/redeem.html", context, status=400), forms=True)
    try:
        entitlement = codes.code_redeem(code_id=code_id, email=form.cleaned_data["email"])
    except codes.CodeProblem as exc:
        context["form"] = CodeForm()
        context["error"] = CODE_MESSAGES[exc.reason]
        return _private(render(request, "delivery/redeem.html", context, status=410), forms=True)
    download_links_mail(entitlement=entitlement)
    if form.cleaned_data.get("news"):
        from disquaire.fans.follow import follower_request
        from disquaire.fans.follow_models import ConsentSource

        follower_request(
            artist=code.batch.release.artist,
            email=form.cleaned_data["email"],
            source=ConsentSource.CODE,
            wording=str(form.fields["news"].label),
            where=request.path,
        )
    return redirect(download_page_url(entitlements=[entitlement], absolute=False))
