from __future__ import annotations

from typing import ClassVar

from django.db import models


class WebhookEvent(models.Model):
    """A provider's event, stored once: a second delivery of the same id is a no-op."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=200)
    type = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)
    # Set once acted on: a redelivery of an event whose handling failed acts again
    # (every action is idempotent), one already handled is only acknowledged.
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} {self.type}"
