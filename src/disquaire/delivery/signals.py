"""Signals other rooms listen to: delivery never imports them."""

from django.dispatch import Signal

# A fan who redeemed a download code asked for news from the band (the fans room makes
# them a follower, double opt-in). Sent with ``artist``, ``email``, ``wording`` (the
# words beside the box, kept with the consent) and ``where`` (the page's path).
news_requested = Signal()
