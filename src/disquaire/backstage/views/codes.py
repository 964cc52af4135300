"""Download codes: batches for the cards sold at gigs, their CSV and printable PDF."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _

from disquaire.backstage import selectors
from disquaire.backstage.forms_selling import CodeBatchForm
from disquaire.core.exporters import exporter_response
from disquaire.delivery.cards import code_batch_pdf
from disquaire.delivery.codes import code_batch_create
from disquaire.delivery.models import CodeBatch


@login_required
def code_batches(request: HttpRequest, artist: str) -> HttpResponse:
    """The batches with how many codes were redeemed, and the form for a new batch."""
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    form = CodeBatchForm(request.POST or None, artist=obj)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        batch = code_batch_create(
            release=data["release"],
            size=data["size"],
            uses_per_code=data["uses_per_code"],
            expires_at=form.expires_at(),
            label=data["label"],
        )
        messages.success(
            request,
            _("%(n)s codes are ready: download them as PDF cards or CSV.") % {"n": data["size"]},
        )
        return redirect(f"{request.path}#batch-{batch.pk}")
    return render(
        request,
        "backstage/codes/list.html",
        {
            "artist": obj,
            "batches": selectors.code_batches_for_artist(artist=obj),
            "form": form,
        },
    )


def _name(batch: CodeBatch, extension: str) -> str:
    stem = slugify(f"{batch.release.title}-{batch.label or 'codes'}-{batch.pk}") or "codes"
    return f"{stem}.{extension}"


@login_required
def code_batch_csv_download(request: HttpRequest, artist: str, batch_id: int) -> HttpResponse:
    batch = selectors.code_batch_for_member(user=request.user, slug=artist, batch_id=batch_id)
    return exporter_response("codes", filename=_name(batch, "csv"), batch=batch)


@login_required
def code_batch_pdf_download(request: HttpRequest, artist: str, batch_id: int) -> HttpResponse:
    batch = selectors.code_batch_for_member(user=request.user, slug=artist, batch_id=batch_id)
    response = HttpResponse(code_batch_pdf(batch=batch), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_name(batch, "pdf")}"'
    return response
