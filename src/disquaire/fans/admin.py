from django.contrib import admin

from disquaire.fans.models import Fan


@admin.register(Fan)
class FanAdmin(admin.ModelAdmin):
    list_display = ("email", "created_at", "last_login_at")
    search_fields = ("email",)
    readonly_fields = ("created_at", "last_login_at")
