from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StorefrontConfig(AppConfig):
    name = "disquaire.storefront"
    label = "storefront"
    verbose_name = _("Public site")

    def ready(self) -> None:
        # Connects the page-cache invalidation to catalogue edits.
        from disquaire.storefront import signals  # noqa: F401
