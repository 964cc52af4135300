from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "disquaire.catalog"
    label = "catalog"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        # Delivered files are tagged again when their titles, order or cover change.
        from disquaire.catalog import receivers  # noqa: F401
