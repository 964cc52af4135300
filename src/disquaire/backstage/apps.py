from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackstageConfig(AppConfig):
    name = "disquaire.backstage"
    label = "backstage"
    verbose_name = _("Backstage")
    default_auto_field = "django.db.models.BigAutoField"
