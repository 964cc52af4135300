from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SellingConfig(AppConfig):
    name = "disquaire.selling"
    label = "selling"
    verbose_name = _("Selling")
