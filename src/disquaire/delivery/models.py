"""What fans may download (entitlements), cached release zips and download codes."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import FORMAT_CHOICES, Artist, ProcessingStatus, Release, Track
from disquaire.core.storage import storage_delete_on_commit


class EntitlementSource(models.TextChoices):
    ORDER = "order", _("order")
    CODE = "code", _("download code")
    FREE = "free", _("gift")


class Entitlement(models.Model):
    """One email address may download one release (or one track).

    Granted by ``services.entitlement_grant`` only; idempotent per (email, item, source,
    source ref). ``email`` is stored lower-case: it is the fan's identity until they sign
    in, and the key of their library afterwards.
    """

    email = models.EmailField(_("email"), db_index=True)
    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, null=True, blank=True, related_name="entitlements"
    )
    track = models.ForeignKey(
        Track, on_delete=models.CASCADE, null=True, blank=True, related_name="entitlements"
    )
    source = models.CharField(_("source"), max_length=10, choices=EntitlementSource.choices)
    source_ref = models.CharField(_("reference"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason"), max_length=200, blank=True)
    download_count = models.PositiveIntegerField(_("downloads"), default=0)
    last_download_at = models.DateTimeField(null=True, blank=True)
    # Set when the owner of the address signed in to their library (the email is proven).
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Pre-orders: granted before the release date, the fan is mailed once it opens.
    notify_on_unlock = models.BooleanField(default=False)
    unlock_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(release__isnull=False, track__isnull=True)
                | Q(release__isnull=True, track__isnull=False),
                name="entitlement_one_item",
            ),
            models.UniqueConstraint(
                fields=["email", "release", "source", "source_ref"],
                condition=Q(release__isnull=False),
                name="entitlement_release_once",
            ),
            models.UniqueConstraint(
                fields=["email", "track", "source", "source_ref"],
                condition=Q(track__isnull=False),
                name="entitlement_track_once",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["notify_on_unlock", "unlock_notified_at"])]
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")

    def __str__(self) -> str:
        return f"{self.email} — {self.release or self.track}"

    @property
    def item_release(self) -> Release:
        """The release the item belongs to (the release itself, or the track's)."""
        if self.release is not None:
            return self.release
        assert self.track is not None
        return self.track.release


class ReleaseZip(models.Model):
    """A release in one format as a zip, built once and kept in storage.

    ``fingerprint`` names what went in (files, titles, cover); a zip whose fingerprint
    no longer matches the release is rebuilt rather than served.
    """

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="zips")
    format = models.CharField(max_length=16, choices=FORMAT_CHOICES)
    fingerprint = models.CharField(max_length=64, blank=True)
    file = models.FileField(max_length=400, blank=True)
    bytes = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=ProcessingStatus.choices, default=ProcessingStatus.PENDING
    )
    error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["release", "format"], name="release_zip_unique")
        ]

    def __str__(self) -> str:
        return f"{self.release} [{self.format}.zip]"


@receiver(post_delete, sender=ReleaseZip, dispatch_uid="delivery.release_zip_file")
def _release_zip_deleted(sender: type[ReleaseZip], instance: ReleaseZip, **kwargs: object) -> None:
    # With its release: the stored zip goes once the deletion is committed.
    storage_delete_on_commit(instance.file.name or "")


class CodeBatch(models.Model):
    """Download codes printed for one release (cards slipped into CDs sold at gigs)."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="code_batches")
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="code_batches")
    label = models.CharField(_("label"), max_length=120, blank=True)
    uses_per_code = models.PositiveIntegerField(_("uses per code"), default=1)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        verbose_name = _("code batch")
        verbose_name_plural = _("code batches")

    def __str__(self) -> str:
        return f"{self.release} — {self.label or self.created_at:%Y-%m-%d}"


class DownloadCode(models.Model):
    """One code, stored as typed without separators (see docs/delivery.md for why plain)."""

    batch = models.ForeignKey(CodeBatch, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=32, unique=True)
    uses = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["pk"]
        verbose_name = _("download code")
        verbose_name_plural = _("download codes")

    def __str__(self) -> str:
        return self.code


class TrackDownloadDay(models.Model):
    """How many times a track was downloaded on one day, alone or in a zip (statistics)."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="download_days")
    day = models.DateField()
    downloads = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["track", "day"], name="track_download_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.track} {self.day}: {self.downloads}"
