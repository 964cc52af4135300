"""The public site's own records: server-cut preview clips and per-listener play counts."""

from __future__ import annotations

from typing import ClassVar

from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import FORMAT_CHOICES, ProcessingStatus, Release, Track
from disquaire.core.storage import storage_delete_on_commit
from disquaire.storefront.images import ALLOWED_WIDTHS, release_cover_prefix, variant_name


class Clip(models.Model):
    """The first ``seconds`` of one track in one streaming format, cut by ffmpeg.

    A clip release's visitors only ever receive this file, so the rest of the track never
    leaves the server. One row per (track, format); when the release's clip length
    changes the row goes back to pending and the file is made again.
    """

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="clips")
    format = models.CharField(_("format"), max_length=16, choices=FORMAT_CHOICES)
    seconds = models.PositiveSmallIntegerField(_("length (seconds)"))
    file = models.FileField(max_length=400, blank=True)
    status = models.CharField(
        max_length=12, choices=ProcessingStatus.choices, default=ProcessingStatus.PENDING
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["track", "format"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["track", "format"], name="clip_format_unique")
        ]
        indexes: ClassVar = [models.Index(fields=["status", "updated_at"])]
        verbose_name = _("preview clip")
        verbose_name_plural = _("preview clips")

    def __str__(self) -> str:
        return f"{self.track} [{self.format}, {self.seconds} s]"


class PlayCount(models.Model):
    """Full plays a listener has used on a release whose policy is "limited".

    ``listener_key`` is ``u:<user id>`` for a signed-in fan, ``d:<random id>`` for a
    device (the signed ``dq_listener`` cookie). Incremented only by
    ``listening.listen_play_claim`` with a conditional UPDATE, never read-modify-write.
    """

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="play_counts")
    listener_key = models.CharField(max_length=64)
    plays = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["release", "listener_key"], name="playcount_listener_unique"
            )
        ]
        verbose_name = _("play count")
        verbose_name_plural = _("play counts")

    def __str__(self) -> str:
        return f"{self.release_id} {self.listener_key}: {self.plays}"


@receiver(post_save, sender=Release, dispatch_uid="storefront.release_clips")
def _release_saved(sender: type[Release], instance: Release, **kwargs: object) -> None:
    # A new policy or clip length may need clips cut (or cut again); the request is
    # idempotent, so every save may ask. After commit: the task must see the new values.
    if instance.visibility == Release.Visibility.DRAFT:
        return
    from disquaire.storefront.clips import clips_request_release, release_needs_clips

    if release_needs_clips(release=instance):
        release_id = instance.pk
        transaction.on_commit(lambda: clips_request_release(release_id=release_id))


@receiver(post_delete, sender=Clip, dispatch_uid="storefront.clip_file")
def _clip_deleted(sender: type[Clip], instance: Clip, **kwargs: object) -> None:
    # A track (or release) deleted takes its clips along: their files go too, once the
    # deletion is committed (a rolled-back deletion keeps them).
    storage_delete_on_commit(instance.file.name or "")


@receiver(post_delete, sender=Release, dispatch_uid="storefront.cover_variants")
def _release_cover_variants_deleted(
    sender: type[Release], instance: Release, **kwargs: object
) -> None:
    # The cover's WebP variants (made on demand, storefront.images) go with the release.
    if instance.cover.name:
        storage_delete_on_commit(
            *(
                variant_name(
                    prefix=release_cover_prefix(instance.pk), source=instance.cover, width=w
                )
                for w in ALLOWED_WIDTHS
            )
        )


class TrackPlayDay(models.Model):
    """How many times a track started playing on one day (any policy), for the band's
    statistics. No listener is recorded: just a count per track and day."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="play_days")
    day = models.DateField()
    plays = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["track", "day"], name="track_play_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.track} {self.day}: {self.plays}"
