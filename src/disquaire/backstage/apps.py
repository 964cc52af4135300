from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

CSV = "text/csv; charset=utf-8"


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
        from disquaire.backstage.services.orders import orders_csv
        from disquaire.backstage.stats import chart_csv
        from disquaire.core.exporters import exporter_register

        exporter_register("orders", label=_("Orders"), content_type=CSV, build=orders_csv)
        exporter_register("stats", label=_("A stats chart"), content_type=CSV, build=chart_csv)
