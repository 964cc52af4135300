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

from disquaire.catalog.models import Artist, Membership, Release, Track


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


class MemberEmailKind(models.TextChoices):
    """What the band's members may be told by e-mail (each chooses which)."""

    NEW_ORDER = "new_order", _("new order")
    DAILY_SUMMARY = "daily_summary", _("daily summary")
    PAYMENT_PROBLEM = "payment_problem", _("payment problem")
    REFUND = "refund", _("refund")


class MemberEmailSettings(models.Model):
    """Which e-mails one member of one artist wants, and in which language.

    A member without a row gets the defaults of the fields below (new orders, payment
    problems and refunds on; the daily summary off) in the artist's default language.
    """

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="email_settings"
    )
    new_order = models.BooleanField(
        _("New orders"),
        default=True,
        help_text=_("Each paid order, with what to post and where for a CD or a T-shirt."),
    )
    daily_summary = models.BooleanField(
        _("Daily summary"),
        default=False,
        help_text=_(
            "Every morning: yesterday's sales, plays and new fans, and what is left to do."
        ),
    )
    payment_problem = models.BooleanField(
        _("Payment problems"),
        default=True,
        help_text=_("A payment that did not go through, or an order that needs you to act."),
    )
    refund = models.BooleanField(
        _("Refunds"), default=True, help_text=_("Money given back to a fan.")
    )
    language = models.CharField(
        _("Language of the e-mails"), max_length=8, choices=settings.LANGUAGES, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("e-mail settings")
        verbose_name_plural = _("e-mail settings")

    def __str__(self) -> str:
        return str(self.membership)

    def wants(self, kind: str) -> bool:
        return bool(getattr(self, kind))


class MemberEmail(models.Model):
    """One e-mail to one member about one event (``key``): the row is claimed before
    sending, so the same event never mails the same person twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="member_emails")
    kind = models.CharField(max_length=20, choices=MemberEmailKind.choices)
    key = models.CharField(max_length=80)
    # What the event is about (an order, a payment, a refund), to send it again.
    object_id = models.BigIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    skipped = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    tried_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "artist", "kind", "key"], name="member_email_once"
            )
        ]
        indexes: ClassVar = [
            # The periodic retry looks only at e-mails not sent yet.
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True, skipped=False),
                name="member_email_unsent",
            )
        ]
        verbose_name = _("e-mail to a member")
        verbose_name_plural = _("e-mails to members")

    def __str__(self) -> str:
        return f"{self.kind} {self.key} → {self.user_id}"
