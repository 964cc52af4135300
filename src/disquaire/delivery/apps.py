from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "disquaire.delivery"
    label = "delivery"
    verbose_name = _("Delivery")

    def ready(self) -> None:
        # Paid orders grant downloads; refunds take them back.
        from disquaire.core.exporters import exporter_register
        from disquaire.delivery import receivers  # noqa: F401
        from disquaire.delivery.codes import code_batch_csv

        exporter_register(
            "codes",
            label=_("Download codes"),
            content_type="text/csv; charset=utf-8",
            build=code_batch_csv,
        )
