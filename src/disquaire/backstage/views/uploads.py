"""Resumable chunked uploads of audio and covers (see docs in the module below).

Protocol, all JSON, CSRF token in the ``X-CSRFToken`` header:

1. ``POST /backstage/artists/<artist>/releases/<id>/uploads/`` ``{"name", "size"}`` →
   201 ``{"id", "url", "finish_url", "chunk_bytes", "received": 0}``, or 400/413
   ``{"error"}`` when the type or size is refused (nothing is sent then).
2. ``PUT <url>`` with ``Content-Range: bytes start-end/size`` and the raw bytes → 200
   ``{"received"}``. A chunk that does not start at the server's count gets 409
   ``{"error", "received"}``; an incomplete body 400 with the same count.
3. ``GET <url>`` → ``{"received", "size", "status"}``: where to resume after a failure.
4. ``POST <finish_url>`` → 200 ``{"status": "done", "track"}`` or 422 ``{"error"}`` (the
   importer's reason: empty, not audio, truncated…).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from disquaire.backstage import selectors
from disquaire.backstage.models import Upload
from disquaire.backstage.services import uploads as upload_services
from disquaire.backstage.views.common import require_post_for_members
from disquaire.backstage.views.releases import release_cover_url


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


def _state(upload: Upload) -> dict[str, Any]:
    return {
        "id": str(upload.pk),
        "name": upload.filename,
        "kind": upload.kind,
        "size": upload.size,
        "received": upload.received,
        "status": upload.status,
        "error": upload.error,
        "track": upload.track_id,
        "url": reverse("backstage:upload", kwargs={"upload_id": upload.pk}),
        "finish_url": reverse("backstage:upload_finish", kwargs={"upload_id": upload.pk}),
    }


def _refused(exc: upload_services.UploadRefused) -> JsonResponse:
    body: dict[str, Any] = {"error": exc.reason}
    if exc.received is not None:
        body["received"] = exc.received
    return JsonResponse(body, status=exc.status)


@login_required
@require_post_for_members
def upload_create(request: HttpRequest, artist: str, release_id: int) -> HttpResponse:
    release = selectors.release_for_member(user=request.user, slug=artist, release_id=release_id)
    try:
        data = json.loads(request.body or b"{}")
        name, size = str(data["name"]), int(data["size"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": _("Send the file's name and size.")}, status=400)
    try:
        upload = upload_services.upload_start(
            release=release,
            user=_user(request),
            filename=name,
            size=size,
        )
    except upload_services.UploadRefused as exc:
        return _refused(exc)
    state = _state(upload)
    state["chunk_bytes"] = upload_services.upload_limits()["chunk_bytes"]
    return JsonResponse(state, status=201)


@login_required
def upload(request: HttpRequest, upload_id: str) -> HttpResponse:
    item = selectors.upload_for_member(user=request.user, upload_id=upload_id)
    if request.method == "GET":
        return JsonResponse(_state(item))
    if request.method not in ("PUT", "POST"):
        return HttpResponseNotAllowed(["GET", "PUT", "POST"])
    try:
        upload_services.upload_append(
            upload=item, content_range=request.headers.get("content-range", ""), body=request
        )
    except upload_services.UploadRefused as exc:
        return _refused(exc)
    return JsonResponse(_state(item))


@login_required
@require_post_for_members
def upload_finish(request: HttpRequest, upload_id: str) -> HttpResponse:
    item = selectors.upload_for_member(user=request.user, upload_id=upload_id)
    try:
        item = upload_services.upload_finish(upload=item)
    except upload_services.UploadRefused as exc:
        return _refused(exc)
    state = _state(item)
    if item.status != Upload.Status.DONE:
        return JsonResponse(state, status=422)
    release = item.release
    if item.track is not None:
        # The new tracklist row, so the page adds it without reloading (and losing the
        # other uploads in progress).
        state["row"] = render_to_string(
            "backstage/releases/track_row.html",
            {"track": item.track, "release": release, "artist": release.artist},
            request=request,
        )
    elif release.cover:
        state["cover_url"] = release_cover_url(release)
    return JsonResponse(state)
