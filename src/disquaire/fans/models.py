"""Fans: an email address proven by a sign-in link, and what they chose to remember."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class Fan(models.Model):
    """Someone who signed in to their library at least once.

    The email link is always the way in; a password is optional, set from the library
    (``password`` is a Django password hash, empty when the fan has none)."""

    email = models.EmailField(_("email"), unique=True)
    password = models.CharField(_("password"), max_length=128, blank=True)
    preferred_format = models.CharField(_("preferred format"), max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    # Moved on by "sign out on every other device": with the password hash, what a
    # browser's session must match (fans.services.fan_session_key).
    session_epoch = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        ordering: ClassVar = ["email"]
        verbose_name = _("fan")
        verbose_name_plural = _("fans")

    def __str__(self) -> str:
        return self.email


class SignInLink(models.Model):
    """A single-use, expiring sign-in link; only the token's SHA-256 is kept."""

    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.created_at:%Y-%m-%d %H:%M})"


# The mailing list, updates, referrals and store credit live in their own modules;
# imported here so Django finds them.
from disquaire.fans.follow_models import ConsentSource, Follower, FollowerState  # noqa: E402
from disquaire.fans.referrals.models import (  # noqa: E402
    CreditAccount,
    CreditEntry,
    DeviceSeen,
    PromoterThanks,
    Referral,
    ReferralSettings,
    ReleaseReward,
    ShareLink,
)
from disquaire.fans.updates_models import (  # noqa: E402
    Delivery,
    DeliveryState,
    MailEvent,
    ReleaseAnnouncement,
    Update,
    UpdateState,
)

__all__ = [
    "ConsentSource",
    "CreditAccount",
    "CreditEntry",
    "Delivery",
    "DeliveryState",
    "DeviceSeen",
    "Fan",
    "Follower",
    "FollowerState",
    "MailEvent",
    "PromoterThanks",
    "Referral",
    "ReferralSettings",
    "ReleaseAnnouncement",
    "ReleaseReward",
    "ShareLink",
    "SignInLink",
    "Update",
    "UpdateState",
]
