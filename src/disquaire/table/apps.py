from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TableConfig(AppConfig):
    name = "disquaire.table"
    label = "table"
    verbose_name = _("Merch table")

    def ready(self) -> None:
        from disquaire.table import receivers  # noqa: F401 (connects the receivers)
