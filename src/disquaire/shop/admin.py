from __future__ import annotations

from django.contrib import admin

from disquaire.shop.models import Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "artist", "confirmed_at"]
    list_filter = ["artist"]
