from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsignmentConfig(AppConfig):
    name = "disquaire.consignment"
    label = "consignment"
    verbose_name = _("Consignment")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from disquaire.consignment.documents import statement_csv
        from disquaire.core.exporters import exporter_register

        exporter_register(
            "consignment-statement",
            label=_("A shop's statement"),
            content_type="text/csv; charset=utf-8",
            build=statement_csv,
        )
