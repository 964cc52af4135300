"""The catalogue: artists and their members, releases, tracks, master audio and renditions."""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disquaire.audio.formats import FORMATS
from disquaire.catalog.validators import validate_isrc, validate_not_reserved, validate_upc
from disquaire.core.money import CURRENCY_CHOICES
from disquaire.core.storage import storage_delete_on_commit

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1a2b3c."))


def _token() -> str:
    return secrets.token_urlsafe(18)


class Artist(models.Model):
    """A band, or one artist of a label; one instance hosts several."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("address"), max_length=80, unique=True, validators=[validate_not_reserved]
    )
    bio = models.TextField(_("biography"), blank=True)
    links = models.JSONField(
        _("links"), default=list, blank=True, help_text=_('A list of {"label", "url"} objects.')
    )
    photo = models.ImageField(_("photo"), upload_to="artists/photos/", blank=True)
    photo_alt = models.CharField(_("photo description"), max_length=300, blank=True)
    header_image = models.ImageField(_("header image"), upload_to="artists/headers/", blank=True)
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="EUR"
    )
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    theme_background = models.CharField(
        _("background colour"), max_length=7, default="#faf8f5", validators=[hex_colour]
    )
    theme_text = models.CharField(
        _("text colour"), max_length=7, default="#1b1b1b", validators=[hex_colour]
    )
    theme_accent = models.CharField(
        _("accent colour"), max_length=7, default="#9c2f1f", validators=[hex_colour]
    )
    members = models.ManyToManyField(  # type: ignore[var-annotated]
        settings.AUTH_USER_MODEL, through="Membership", related_name="artists", blank=True
    )
    # Moved on when someone leaves or is removed: invitations sent before no longer work
    # (a removed member cannot come back with an old link).
    members_epoch = models.PositiveIntegerField(default=0, db_default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name = _("artist")
        verbose_name_plural = _("artists")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        try:
            return reverse("storefront:artist", kwargs={"artist": self.slug})
        except NoReverseMatch:
            return f"/{self.slug}/"


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("owner")
        MEMBER = "member", _("member")

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["artist", "user"], name="membership_unique")
        ]
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) — {self.artist}"


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class PreviewPolicy(models.TextChoices):
    FULL = "full", _("full tracks")
    CLIPS = "clips", _("clips only")
    LIMITED = "limited", _("a few full plays, then clips")


class Release(models.Model):
    class Kind(models.TextChoices):
        ALBUM = "album", _("album")
        EP = "ep", _("EP")
        SINGLE = "single", _("single")

    class Visibility(models.TextChoices):
        DRAFT = "draft", _("draft")
        UNLISTED = "unlisted", _("unlisted")
        SCHEDULED = "scheduled", _("scheduled")
        PUBLISHED = "published", _("published")

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="releases")
    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("address"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ALBUM)
    release_date = models.DateField(_("release date"), null=True, blank=True)
    cover = models.ImageField(_("cover art"), upload_to="covers/", blank=True, max_length=300)
    cover_alt = models.CharField(
        _("cover description"),
        max_length=300,
        blank=True,
        help_text=_("Describe the cover for people who cannot see it."),
    )
    description = models.TextField(_("description"), blank=True)
    credits = models.TextField(_("credits"), blank=True)
    catalogue_number = models.CharField(_("catalogue number"), max_length=40, blank=True)
    upc = models.CharField(_("UPC/EAN"), max_length=13, blank=True, validators=[validate_upc])
    tags = models.ManyToManyField(Tag, related_name="releases", blank=True, verbose_name=_("tags"))
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.DRAFT
    )
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    preview_token = models.CharField(max_length=40, default=_token, editable=False)
    preview_policy = models.CharField(
        _("listening"),
        max_length=10,
        choices=PreviewPolicy.choices,
        default=PreviewPolicy.FULL,
        help_text=_("Full tracks from release day, clips only, or a number of full plays."),
    )
    preview_clip_seconds = models.PositiveSmallIntegerField(_("clip length (seconds)"), default=30)
    preview_full_plays = models.PositiveSmallIntegerField(_("full plays per listener"), default=3)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-release_date", "-created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["artist", "slug"], name="release_slug_unique"),
            models.CheckConstraint(
                condition=~models.Q(visibility="scheduled") | models.Q(publish_at__isnull=False),
                name="release_scheduled_has_date",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["visibility", "publish_at"])]
        verbose_name = _("release")
        verbose_name_plural = _("releases")

    def __str__(self) -> str:
        return f"{self.artist} — {self.title}"

    def get_absolute_url(self) -> str:
        try:
            return reverse(
                "storefront:release", kwargs={"artist": self.artist.slug, "release": self.slug}
            )
        except NoReverseMatch:
            return f"/{self.artist.slug}/{self.slug}/"

    @property
    def is_public(self) -> bool:
        """Listed on the public site: published, or scheduled and its time has come."""
        if self.visibility == self.Visibility.PUBLISHED:
            return True
        return (
            self.visibility == self.Visibility.SCHEDULED
            and self.publish_at is not None
            and self.publish_at <= timezone.now()
        )


class ProcessingStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    PROCESSING = "processing", _("processing")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")


class Track(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="tracks")
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(max_length=120)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    isrc = models.CharField(_("ISRC"), max_length=15, blank=True, validators=[validate_isrc])
    lyrics = models.TextField(_("lyrics"), blank=True)
    credits = models.TextField(_("credits"), blank=True)
    is_free = models.BooleanField(
        _("free download"),
        default=False,
        help_text=_("Offered for free (and in the podcast feed)."),
    )

    # The master as the band handed it over.
    master = models.FileField(_("master audio"), max_length=400, blank=True)
    master_filename = models.CharField(max_length=300, blank=True)
    master_bytes = models.BigIntegerField(null=True, blank=True)
    master_sha256 = models.CharField(max_length=64, blank=True)
    master_codec = models.CharField(max_length=20, blank=True)
    master_lossless = models.BooleanField(default=False)
    master_sample_rate = models.PositiveIntegerField(null=True, blank=True)
    master_bit_depth = models.PositiveSmallIntegerField(null=True, blank=True)
    master_channels = models.PositiveSmallIntegerField(null=True, blank=True)
    master_bitrate_kbps = models.PositiveIntegerField(null=True, blank=True)

    # Derived by the processing task.
    peaks = models.JSONField(null=True, blank=True)
    loudness_lufs = models.FloatField(_("loudness (LUFS)"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ProcessingStatus.choices,
        default=ProcessingStatus.PENDING,
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Wall-clock seconds of the last encoding run (every missing format in one ffmpeg
    # run, so it is the track's, not a format's): for /metrics (encodes_metrics).
    encode_seconds = models.FloatField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["release_id", "position"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["release", "position"], name="track_position_unique")
        ]
        indexes: ClassVar = [models.Index(fields=["status", "heartbeat_at"])]
        verbose_name = _("track")
        verbose_name_plural = _("tracks")

    def __str__(self) -> str:
        return f"{self.position:02d}. {self.title}"

    @property
    def duration_s(self) -> float | None:
        return None if self.duration_ms is None else self.duration_ms / 1000


FORMAT_CHOICES = [(key, fmt.label) for key, fmt in FORMATS.items()]
if "original" not in FORMATS:
    FORMAT_CHOICES.append(("original", "Original"))


class Rendition(models.Model):
    """One format of one track: the file a fan streams or downloads."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="renditions")
    format = models.CharField(_("format"), max_length=16, choices=FORMAT_CHOICES)
    file = models.FileField(max_length=400, blank=True)
    bytes = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=12, choices=ProcessingStatus.choices, default=ProcessingStatus.PENDING
    )
    error = models.TextField(blank=True)
    progress = models.FloatField(default=0)
    # What the file's tags say (catalog.tagging.tags_digest): when the catalogue moves
    # on (a title, the order, the cover…), the file is tagged again (release_retag).
    tags_digest = models.CharField(max_length=64, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["track_id", "format"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["track", "format"], name="rendition_format_unique")
        ]
        verbose_name = _("rendition")
        verbose_name_plural = _("renditions")

    def __str__(self) -> str:
        return f"{self.track} [{self.format}]"


class Concert(models.Model):
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="concerts")
    starts_at = models.DateTimeField(_("date and time"))
    venue = models.CharField(_("venue"), max_length=200)
    city = models.CharField(_("city"), max_length=120)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO code, e.g. FR"))
    ticket_url = models.URLField(_("tickets"), blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        ordering: ClassVar = ["starts_at"]
        indexes: ClassVar = [models.Index(fields=["artist", "starts_at"])]
        verbose_name = _("concert")
        verbose_name_plural = _("concerts")

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d} {self.venue}, {self.city}"


class NewsPost(models.Model):
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="news")
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(max_length=120)
    body = models.TextField(_("text (Markdown)"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-published_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["artist", "slug"], name="news_slug_unique")
        ]
        verbose_name = _("news post")
        verbose_name_plural = _("news posts")

    def __str__(self) -> str:
        return self.title


# A deleted release, track or rendition takes its stored files along, once the deletion
# is committed (a rolled-back deletion keeps them). The "original" rendition shares its
# track's master file: deleting a name twice is harmless.
@receiver(post_delete, sender=Release, dispatch_uid="catalog.release_files")
def _release_deleted(sender: type[Release], instance: Release, **kwargs: object) -> None:
    storage_delete_on_commit(instance.cover.name or "")


@receiver(post_delete, sender=Track, dispatch_uid="catalog.track_files")
def _track_deleted(sender: type[Track], instance: Track, **kwargs: object) -> None:
    storage_delete_on_commit(instance.master.name or "")


@receiver(post_delete, sender=Rendition, dispatch_uid="catalog.rendition_files")
def _rendition_deleted(sender: type[Rendition], instance: Rendition, **kwargs: object) -> None:
    storage_delete_on_commit(instance.file.name or "")
