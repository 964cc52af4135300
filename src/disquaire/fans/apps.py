from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FansConfig(AppConfig):
    name = "disquaire.fans"
    label = "fans"
    verbose_name = _("Fans")

    def ready(self) -> None:
        from disquaire.fans.referrals import receivers  # noqa: F401 - connects the receivers
