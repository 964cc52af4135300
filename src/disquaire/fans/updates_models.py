"""Updates by email: what the band writes, to whom, and each recipient's state."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import Artist, NewsPost, Release


class UpdateState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SCHEDULED = "scheduled", _("scheduled")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")


UPDATE_TRANSITIONS: dict[str, frozenset[str]] = {
    UpdateState.DRAFT: frozenset({UpdateState.SCHEDULED, UpdateState.SENDING}),
    UpdateState.SCHEDULED: frozenset({UpdateState.DRAFT, UpdateState.SENDING}),
    UpdateState.SENDING: frozenset({UpdateState.SENT}),
    UpdateState.SENT: frozenset(),
}


class Topic(models.TextChoices):
    """What an update is about: a follower's preferences choose which they get."""

    NEWS = "news", _("news")
    RELEASES = "releases", _("new releases")
    CONCERTS = "concerts", _("concerts")


class Segment(models.TextChoices):
    ALL = "all", _("all followers")
    BUYERS = "buyers", _("buyers of a release")
    SUPPORTERS = "supporters", _("supporters who paid more than an amount")
    COUNTRY = "country", _("followers in a country")
    NEVER_BOUGHT = "never_bought", _("followers who never bought")
    TABLE_SHOW = "table_show", _("table buyers of a show")


class Update(models.Model):
    """A message to followers: written (or taken from a news post), sent to a segment,
    now or at a time."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="updates")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text (Markdown)"), blank=True)
    topic = models.CharField(
        _("about"), max_length=10, choices=Topic.choices, default=Topic.NEWS, db_default="news"
    )
    news_post = models.ForeignKey(
        NewsPost, on_delete=models.SET_NULL, null=True, blank=True, related_name="updates"
    )
    release = models.ForeignKey(
        Release, on_delete=models.SET_NULL, null=True, blank=True, related_name="announcements"
    )
    segment = models.CharField(
        _("to"), max_length=14, choices=Segment.choices, default=Segment.ALL, db_default="all"
    )
    segment_release = models.ForeignKey(
        Release, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    segment_min_minor = models.PositiveIntegerField(null=True, blank=True)
    segment_country = models.CharField(max_length=2, blank=True, db_default="")
    # A merch table show's id: no foreign key, the table app sits above this one and
    # answers ``table_show_emails`` with the addresses its buyers gave there.
    segment_show_id = models.PositiveIntegerField(null=True, blank=True)
    # An update about one of the band's concerts goes only to the followers who want
    # "concerts nearby" and live in the concert's country (none: a tour, to everyone
    # who wants concerts).
    concert = models.ForeignKey(
        "catalog.Concert",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="updates",
        verbose_name=_("concert"),
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=UpdateState.choices,
        default=UpdateState.DRAFT,
        db_default="draft",
    )
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    created_by = models.CharField(max_length=200, blank=True, db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        verbose_name = _("update")
        verbose_name_plural = _("updates")

    def __str__(self) -> str:
        return self.subject


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("queued")
    # Claimed by a sender, before the mail server was asked: see fans/updates.py on why a
    # row left here by a crash is never sent again.
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    BOUNCED = "bounced", _("bounced")
    COMPLAINED = "complained", _("complained")
    UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
    FAILED = "failed", _("failed")


class Delivery(models.Model):
    """One recipient of one update."""

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="deliveries")
    follower = models.ForeignKey(
        "fans.Follower", on_delete=models.CASCADE, related_name="deliveries"
    )
    email = models.EmailField()
    state = models.CharField(
        max_length=12,
        choices=DeliveryState.choices,
        default=DeliveryState.QUEUED,
        db_default="queued",
    )
    attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True, db_default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True, db_default="")

    class Meta:
        ordering: ClassVar = ["pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["update", "follower"], name="delivery_unique")
        ]
        indexes: ClassVar = [
            models.Index(fields=["update", "state"]),
            models.Index(fields=["claim"]),
        ]

    def __str__(self) -> str:
        return f"{self.email} [{self.state}]"


class ReleaseAnnouncement(models.Model):
    """A release's choice to announce itself to followers on its release day (on unless
    the band turns it off), and the update that did it."""

    release = models.OneToOneField(Release, on_delete=models.CASCADE, related_name="announcement")
    enabled = models.BooleanField(_("announce to followers on release day"), default=True)
    update = models.ForeignKey(Update, on_delete=models.SET_NULL, null=True, blank=True)

    def __str__(self) -> str:
        return str(self.release)


class MailEvent(models.Model):
    """A delivery event from the email provider's webhook, kept once per event id."""

    esp = models.CharField(max_length=40)
    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=40)
    recipient = models.EmailField(blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["esp", "event_id"], name="mail_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.esp} {self.event_type} {self.recipient}"
