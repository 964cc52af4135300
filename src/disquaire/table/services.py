"""What changes at the merch table: the API the views, the demo and the tests call.

Split by what it serves: ``sellers`` (sellers and table products), ``show_services``
(open, count, close), ``show_events`` (shows opened and counted on a phone, offline
too), ``phone_input`` (what every phone sending shares), ``sale_parse`` and ``sync`` (the
phones' sales, recorded once), ``bag`` (the units a sale takes out of the show's bag),
``sale_services`` (the band settles or voids a sale), ``phone_pay`` (a sale the fan pays on their
own phone, through the shop's providers); ``trace`` writes the activity log.
"""

from __future__ import annotations

from disquaire.table.bag import REFERENCE_TYPE
from disquaire.table.phone_input import MAX_BATCH, MAX_EVENTS
from disquaire.table.sale_services import (
    sale_payment_receive,
    sale_resolve,
    sale_void,
)
from disquaire.table.sellers import (
    CODE_DAYS,
    product_remove,
    product_save,
    seller_check,
    seller_for_member,
    seller_invite,
    seller_join,
    seller_revoke,
)
from disquaire.table.show_events import events_sync, table_sync
from disquaire.table.show_services import show_close, show_count, show_open
from disquaire.table.sync import sale_take, sales_sync

__all__ = [
    "CODE_DAYS",
    "MAX_BATCH",
    "MAX_EVENTS",
    "REFERENCE_TYPE",
    "events_sync",
    "product_remove",
    "product_save",
    "sale_payment_receive",
    "sale_resolve",
    "sale_take",
    "sale_void",
    "sales_sync",
    "seller_check",
    "seller_for_member",
    "seller_invite",
    "seller_join",
    "seller_revoke",
    "show_close",
    "show_count",
    "show_open",
    "table_sync",
]
