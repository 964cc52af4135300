"""Signals other rooms listen to: orders never import them."""

from django.dispatch import Signal

# Sent with ``order`` inside the transaction that moves it to paid (delivery grants the
# downloads in that same transaction), and when it is refunded (delivery takes them back).
order_paid = Signal()
order_refunded = Signal()
