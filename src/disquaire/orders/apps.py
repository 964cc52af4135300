from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "disquaire.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from disquaire.orders.items import held_at
        from disquaire.stock.services import held_counter_register

        # Units that pending checkouts hold stay where they are: the stock room asks us
        # before a move or a count (it imports nothing of ours).
        held_counter_register(held_at)
