from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "disquaire.core"
    label = "core"
    verbose_name = "Disquaire core"
