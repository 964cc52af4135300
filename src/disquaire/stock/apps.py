from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StockConfig(AppConfig):
    name = "disquaire.stock"
    label = "stock"
    verbose_name = _("Stock")

    def ready(self) -> None:
        from disquaire.core.exporters import exporter_register
        from disquaire.stock.exports import ledger_csv

        exporter_register(
            "stock-ledger",
            label=_("The stock ledger"),
            content_type="text/csv; charset=utf-8",
            build=ledger_csv,
        )
