from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "disquaire.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from disquaire.payments.providers.free import FreeProvider
        from disquaire.payments.providers.manual import ManualProvider
        from disquaire.payments.providers.stripe import StripeProvider
        from disquaire.payments.providers.test import TestProvider
        from disquaire.payments.registry import provider_register

        for cls in (StripeProvider, ManualProvider, TestProvider, FreeProvider):
            provider_register(cls)
