from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FansConfig(AppConfig):
    name = "disquaire.fans"
    label = "fans"
    verbose_name = _("Fans")

    def ready(self) -> None:
        from anymail.signals import tracking

        from disquaire.fans.updates_webhooks import tracking_received

        tracking.connect(tracking_received, dispatch_uid="fans.tracking")
