"""The download page and its file and zip endpoints."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from disquaire.audio.formats import FORMATS
from disquaire.catalog.models import Release
from disquaire.core.fileserve import file_response, file_response_grants_start
from disquaire.core.signing import TokenExpired, TokenInvalid
from disquaire.delivery.links import download_token_read
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
    DownloadRefused,
    download_count,
    entitlement_for_download,
    track_downloads_record,
)
from disquaire.delivery.views.common import _base, _private, problem
from disquaire.delivery.zips import (
    release_zip_ready,
    release_zip_request,
    zip_filename,
    zip_fingerprint,
    zip_stream,
)

FORMAT_COOKIE = "dq_format"


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
        secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
    )


# --- files ------------------------------------------------------------------------------------


def _entitlement_for(
    request: HttpRequest, token: str, entitlement_id: int
) -> Entitlement | HttpResponse:
    """The entitlement a file URL names, or the page that says why not."""
    try:
        return entitlement_for_download(token=token, entitlement_id=entitlement_id)
    except DownloadRefused as refused:
        if refused.entitlement is None:
            return problem(
                request, status=410 if refused.kind == "expired" else 403, kind=refused.kind
            )
        release = refused.entitlement.item_release
        extra = {"release_date": release.release_date} if refused.kind == "locked" else {}
        return problem(request, status=403, kind=refused.kind, artist=release.artist, **extra)


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
    tracks = item_tracks(entitlement)
    choice = next((c for c in item_formats(tracks) if c.key == key), None)
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
        track_downloads_record(tracks=tracks)
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
