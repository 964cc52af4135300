"""Signals other rooms listen to: orders never import them."""

from django.dispatch import Signal

# Sent with ``order`` inside the transaction that moves it to paid (delivery grants the
# downloads in that same transaction), and when it is refunded (delivery takes them back).
order_paid = Signal()
order_refunded = Signal()
# Sent with ``order`` inside the transaction that moves it, unpaid, to expired or
# cancelled (the merch table cancels the sale a fan did not pay on their phone).
order_unpaid_closed = Signal()

# Sent inside the transaction that records them, for whoever tells the band
# (backstage's e-mails to members, after commit):
# - ``payment_failed`` with ``payment``: the provider refused a payment (not a buyer who
#   left the payment page, which is "canceled");
# - ``order_flagged`` with ``order``, ``note`` and ``key`` (unique to this flag): a person
#   must act on the order (a refund to make by hand, a payment in another currency…);
# - ``refund_done`` with ``refund``: money went back to the buyer (all or part).
# - ``order_to_collect`` with ``order``: a pick-up order placed to be paid in cash on
#   collection (pending until the fan comes): the band prepares it now.
payment_failed = Signal()
order_to_collect = Signal()
order_flagged = Signal()
refund_done = Signal()

# Asked with ``order`` (paid or fulfilled) by the order page: a receiver answers the
# address of the page where the buyer downloads what the order includes ("" for none).
# Delivery answers; the orders room does not know how downloads are served.
order_downloads_url = Signal()
