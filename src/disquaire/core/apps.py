from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "disquaire.core"
    label = "core"
    verbose_name = "Disquaire core"

    def ready(self) -> None:
        from disquaire.core import (
            checks,  # noqa: F401  (registers the deploy checks)
            siteurl,  # noqa: F401 (registers the system checks)
        )
