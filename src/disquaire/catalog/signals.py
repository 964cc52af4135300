"""Signals other rooms listen to (the catalogue never imports them)."""

from django.dispatch import Signal

# Sent with ``track`` when its processing ends, ready or failed: pages that show it
# and anything derived from its renditions (preview clips) follow.
track_processed = Signal()
