from __future__ import annotations

from django.contrib import admin

from disquaire.selling.models import Offer, OfferOption, ShippingZone, ShopSettings


class OfferOptionInline(admin.TabularInline):
    model = OfferOption
    extra = 0


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["title", "artist", "release", "kind", "pricing", "price_minor", "stock"]
    list_filter = ["kind", "pricing", "active"]
    search_fields = ["title", "artist__name", "release__title"]
    autocomplete_fields = ["artist", "release", "track"]
    readonly_fields = ["numbers_issued"]
    inlines = [OfferOptionInline]


@admin.register(ShippingZone)
class ShippingZoneAdmin(admin.ModelAdmin):
    list_display = ["name", "artist", "first_item_minor", "additional_item_minor"]


@admin.register(ShopSettings)
class ShopSettingsAdmin(admin.ModelAdmin):
    list_display = ["artist", "ship_from_country"]
