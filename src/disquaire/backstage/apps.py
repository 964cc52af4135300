from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackstageConfig(AppConfig):
    name = "disquaire.backstage"
    label = "backstage"
    verbose_name = _("Backstage")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib import admin

        from disquaire.backstage.forms import AdminLoginForm

        # The admin signs people in with the same limits on failed attempts.
        admin.site.login_form = AdminLoginForm
        # The band's members are told of new orders, payment problems and refunds.
        from disquaire.backstage import receivers  # noqa: F401
