from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import (
    Artist,
    Concert,
    Membership,
    NewsPost,
    Release,
    Rendition,
    Tag,
    Track,
)
from disquaire.catalog.services import processing as processing_services


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "currency", "default_language", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


class TrackInline(admin.TabularInline):
    model = Track
    extra = 0
    fields = ["position", "title", "isrc", "duration_ms", "status", "error"]
    readonly_fields = ["duration_ms", "status", "error"]
    show_change_link = True


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["title", "artist", "kind", "release_date", "visibility"]
    list_filter = ["visibility", "kind", "artist"]
    search_fields = ["title", "artist__name", "catalogue_number", "upc"]
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ["tags"]
    inlines = [TrackInline]
    date_hierarchy = "release_date"


class RenditionInline(admin.TabularInline):
    model = Rendition
    extra = 0
    can_delete = False
    fields = ("format", "status", "bytes", "file", "sha256", "error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.action(description=_("Process the selected failed tracks again"))
def retry_tracks(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Track]) -> None:
    count = 0
    for track in queryset:
        if track.status == "failed":
            processing_services.track_retry(track=track)
            count += 1
    modeladmin.message_user(
        request, _("%(n)d track(s) queued again.") % {"n": count}, messages.INFO
    )


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["title", "release", "position", "status", "duration_ms"]
    list_filter = ["status", "master_lossless"]
    search_fields = ["title", "release__title", "isrc"]
    readonly_fields = [
        "master", "master_filename", "master_bytes", "master_sha256", "master_codec",
        "master_lossless", "master_sample_rate", "master_bit_depth", "master_channels",
        "master_bitrate_kbps", "loudness_lufs", "status", "error", "attempts", "heartbeat_at",
        "task_id",
    ]  # fmt: skip
    exclude = ["peaks"]
    inlines = [RenditionInline]
    actions = [retry_tracks]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Concert)
class ConcertAdmin(admin.ModelAdmin):
    list_display = ["starts_at", "artist", "venue", "city", "country"]
    list_filter = ["artist"]
    date_hierarchy = "starts_at"


@admin.register(NewsPost)
class NewsPostAdmin(admin.ModelAdmin):
    list_display = ["title", "artist", "published_at"]
    list_filter = ["artist"]
    prepopulated_fields = {"slug": ("title",)}
