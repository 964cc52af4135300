from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from disquaire.delivery.cards import code_batch_pdf
from disquaire.delivery.codes import code_batch_csv
from disquaire.delivery.models import CodeBatch, Entitlement
from disquaire.delivery.services import entitlement_revoke


@admin.register(Entitlement)
class EntitlementAdmin(admin.ModelAdmin):
    list_display = ("email", "release", "track", "source", "source_ref", "download_count")
    list_filter = ("source",)
    search_fields = ("email", "source_ref")
    raw_id_fields = ("release", "track")
    readonly_fields = ("created_at", "last_download_at", "claimed_at", "unlock_notified_at")
    actions = ("revoke", "reset_count")

    @admin.action(description=_("Revoke (refunded)"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Entitlement]) -> None:
        for entitlement in queryset:
            entitlement_revoke(entitlement=entitlement, reason="revoked in the admin")

    @admin.action(description=_("Reset the download count"))
    def reset_count(self, request: HttpRequest, queryset: QuerySet[Entitlement]) -> None:
        queryset.update(download_count=0)


@admin.register(CodeBatch)
class CodeBatchAdmin(admin.ModelAdmin):
    list_display = ("release", "label", "uses_per_code", "expires_at", "created_at")
    raw_id_fields = ("release", "artist")
    actions = ("export_csv", "export_pdf")

    @admin.action(description=_("Export as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[CodeBatch]) -> Any:
        return _batch_file(queryset, build=code_batch_csv, content_type="text/csv", ext="csv")

    @admin.action(description=_("Printable cards (PDF)"))
    def export_pdf(self, request: HttpRequest, queryset: QuerySet[CodeBatch]) -> Any:
        return _batch_file(
            queryset, build=code_batch_pdf, content_type="application/pdf", ext="pdf"
        )


def _batch_file(
    queryset: QuerySet[CodeBatch],
    *,
    build: Callable[..., Any],
    content_type: str,
    ext: str,
) -> HttpResponse | None:
    """The first selected batch's codes as a file to download (None when none is)."""
    batch = queryset.select_related("release", "artist").first()
    if batch is None:
        return None
    response = HttpResponse(build(batch=batch), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="codes-{batch.pk}.{ext}"'
    return response
