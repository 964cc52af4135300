from __future__ import annotations

from typing import ClassVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """Each running worker process refreshes its row; /healthz reads them."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=200, blank=True)
    pid = models.PositiveIntegerField(null=True)
    threads = models.PositiveSmallIntegerField(default=1)
    started_at = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class ActivityEntry(models.Model):
    """One line of an artist's audit log, the one log: a back-office action (who did what
    to which object, what it was before and after) or a step of an order's history (its
    state changes and its payments', ``order_id`` set, the states in ``before``/``after``).
    Written by ``core.audit`` (and ``orders.transitions.audit_log``) inside the
    transaction of the change it describes. ``artist_id`` and ``order_id`` are plain
    numbers, not foreign keys: core depends on no room above it, and the trace outlives
    what it describes."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    artist_id = models.BigIntegerField(db_index=True)
    # The release the object belongs to (an offer, a track, a code batch), for its history.
    release_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # The order whose history the entry tells (its page reads them by this number).
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    before = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [
            models.Index(fields=["artist_id", "object_type", "object_id"], name="activity_object")
        ]
        verbose_name = _("activity entry")
        verbose_name_plural = _("activity entries")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"
