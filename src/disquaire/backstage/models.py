"""Backstage state of its own: resumable uploads in progress."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import ClassVar

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import Release, Track


class Upload(models.Model):
    """One file being sent in chunks to a release; its bytes live in the scratch dir."""

    class Kind(models.TextChoices):
        AUDIO = "audio", _("audio")
        COVER = "cover", _("cover")

    class Status(models.TextChoices):
        RECEIVING = "receiving", _("receiving")
        DONE = "done", _("done")
        FAILED = "failed", _("refused")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="uploads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    filename = models.CharField(max_length=300)
    size = models.BigIntegerField()
    received = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVING)
    error = models.TextField(blank=True)
    track = models.ForeignKey(Track, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["created_at"]
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")

    def __str__(self) -> str:
        return f"{self.filename} ({self.received}/{self.size})"

    @property
    def scratch_path(self) -> Path:
        suffix = Path(self.filename).suffix.lower()[:10]
        return Path(settings.SCRATCH_DIR) / "uploads" / f"{self.pk}{suffix}"


@receiver(post_delete, sender=Upload, dispatch_uid="backstage.upload_scratch")
def _upload_deleted(sender: type[Upload], instance: Upload, **kwargs: object) -> None:
    # An upload forgotten (expired, or its release deleted) takes its scratch bytes along.
    path = instance.scratch_path
    transaction.on_commit(lambda: path.unlink(missing_ok=True))
