from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from disquaire.fans.models import Fan, Follower


@admin.register(Fan)
class FanAdmin(admin.ModelAdmin):
    list_display = ("email", "has_password", "created_at", "last_login_at")
    search_fields = ("email",)
    # The hash is nobody's business, not even the admin's: fans set it from their library.
    exclude = ("password",)
    readonly_fields = ("has_password", "created_at", "last_login_at")

    @admin.display(boolean=True, description=_("password set"))
    def has_password(self, fan: Fan) -> bool:
        return bool(fan.password)


@admin.register(Follower)
class FollowerAdmin(admin.ModelAdmin):
    list_display = ("email", "artist", "state", "consent_source", "consent_at", "language")
    list_filter = ("artist", "state", "consent_source")
    search_fields = ("email",)
