from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "disquaire.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from disquaire.orders.outcomes import payment_checkout_start
        from disquaire.payments.base import CHECKOUT_START

        # A provider's ``start_checkout`` goes through orders, which it does not import.
        if payment_checkout_start not in CHECKOUT_START:
            CHECKOUT_START.append(payment_checkout_start)

        from disquaire.orders.items import held_at
        from disquaire.stock.services import held_counter_register

        # Units that pending checkouts hold stay where they are: the stock room asks us
        # before a move or a count (it imports nothing of ours).
        held_counter_register(held_at)
