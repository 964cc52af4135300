from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TableConfig(AppConfig):
    name = "disquaire.table"
    label = "table"
    verbose_name = _("Merch table")

    def ready(self) -> None:
        from disquaire.core.exporters import exporter_register
        from disquaire.table import receivers  # noqa: F401 (connects the receivers)
        from disquaire.table.exports import show_report_csv

        exporter_register(
            "table-show-report",
            label=_("A show's report"),
            content_type="text/csv; charset=utf-8",
            build=show_report_csv,
        )
