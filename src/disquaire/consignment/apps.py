from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsignmentConfig(AppConfig):
    name = "disquaire.consignment"
    label = "consignment"
    verbose_name = _("Consignment")
    default_auto_field = "django.db.models.BigAutoField"
