from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "disquaire.delivery"
    label = "delivery"
    verbose_name = _("Delivery")

    def ready(self) -> None:
        # Paid orders grant downloads; refunds take them back.
        from disquaire.delivery import receivers  # noqa: F401
