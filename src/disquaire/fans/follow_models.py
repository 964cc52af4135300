"""Followers: the band's mailing list, each address with the consent it gave."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import Artist


class FollowerState(models.TextChoices):
    # Asked (a form, an import asking again) and not confirmed yet: never written to but
    # for the one confirmation mail.
    PENDING = "pending", _("waiting for confirmation")
    CONFIRMED = "confirmed", _("following")
    UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
    # Hard bounce, complaint, or too many soft bounces: the address is not written to again.
    BLOCKED = "blocked", _("blocked")


class ConsentSource(models.TextChoices):
    PAGE = "page", _("follow form on a page")
    FAN = "fan", _("signed-in fan, one click")
    CHECKOUT = "checkout", _("checkout")
    CODE = "code", _("download code")
    TABLE = "table", _("merch table")
    IMPORT = "import", _("import")
    LEGACY = "legacy", _("legacy/page")


class Follower(models.Model):
    """An address that follows an artist, with where, when and under which wording it
    consented, and in which language it is written to."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="followers")
    email = models.EmailField(_("email"))
    fan = models.ForeignKey(
        "fans.Fan", on_delete=models.SET_NULL, null=True, blank=True, related_name="follows"
    )
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=FollowerState.choices,
        default=FollowerState.PENDING,
        db_default=FollowerState.PENDING,
    )
    language = models.CharField(_("language"), max_length=8, default="en", db_default="en")
    country = models.CharField(_("country"), max_length=2, blank=True, db_default="")
    consent_source = models.CharField(
        _("consent given at"), max_length=10, choices=ConsentSource.choices
    )
    consent_at = models.DateTimeField(_("consent given on"))
    consent_text = models.TextField(_("wording shown"), blank=True, db_default="")
    consent_where = models.CharField(_("page"), max_length=300, blank=True, db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed on"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    wants_news = models.BooleanField(_("news"), default=True, db_default=True)
    wants_releases = models.BooleanField(_("new releases"), default=True, db_default=True)
    wants_concerts = models.BooleanField(_("concerts nearby"), default=True, db_default=True)
    soft_bounces = models.PositiveSmallIntegerField(default=0, db_default=0)
    blocked_reason = models.CharField(max_length=40, blank=True, db_default="")

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["artist", "email"], name="follower_unique")
        ]
        indexes: ClassVar = [models.Index(fields=["artist", "state"])]
        verbose_name = _("follower")
        verbose_name_plural = _("followers")

    def __str__(self) -> str:
        return self.email
