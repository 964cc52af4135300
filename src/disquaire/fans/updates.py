"""Updates by email: write, choose who gets it (segments), schedule, start, announce.

Sending itself (claims, retries, the rate, recovering a crash) is ``updates_sending``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist, Concert, NewsPost, Release
from disquaire.core.addresses import email_normalise
from disquaire.core.audit import activity_record
from disquaire.fans.follow_models import Follower, FollowerState
from disquaire.fans.updates_mail import update_test_message
from disquaire.fans.updates_models import (
    UPDATE_TRANSITIONS,
    Delivery,
    DeliveryState,
    ReleaseAnnouncement,
    Segment,
    Topic,
    Update,
    UpdateState,
)
from disquaire.orders.models import Order, OrderState

PAID_STATES = (OrderState.PAID, OrderState.FULFILLED)


class UpdateError(ValueError):
    """Something the band cannot do with this update now; the message is for them."""


# --- segments ---------------------------------------------------------------------------

# Asked with ``artist`` and ``show_id``: each receiver answers a set of the addresses the
# buyers gave at that merch table show (the table app, above this one, answers).
table_show_emails = Signal()


def _table_show_emails(*, artist: Artist, show_id: int | None) -> set[str]:
    if show_id is None:
        return set()
    found: set[str] = set()
    for _receiver, answer in table_show_emails.send(
        sender=Follower, artist=artist, show_id=show_id
    ):
        found |= {email_normalise(e) for e in answer or ()}
    return found


def _paid_orders(artist: Artist) -> QuerySet[Order]:
    # The band's own test orders are no purchases.
    return Order.objects.filter(artist=artist, state__in=PAID_STATES, is_test=False)


def _emails(orders: QuerySet[Order]) -> set[str]:
    return {email_normalise(e) for e in orders.values_list("email", flat=True).distinct()}


def _living_in(paid: QuerySet[Order], code: str) -> Q:
    """The followers who live in country ``code``: their follow says so, or a paid order
    was shipped there."""
    return Q(country=code) | Q(email__in=_emails(paid.filter(ship_country=code)))


def segment_followers(
    *,
    artist: Artist,
    segment: str,
    topic: str = Topic.NEWS,
    release: Release | None = None,
    min_minor: int | None = None,
    country: str = "",
    show_id: int | None = None,
    concert: Concert | None = None,
) -> QuerySet[Follower]:
    """The confirmed followers of ``artist`` an update about ``topic`` goes to:

    - ``all``: every one;
    - ``buyers``: who bought ``release`` (paid, not a test order);
    - ``supporters``: who paid the band more than ``min_minor`` in all (paid orders);
    - ``country``: who live in ``country`` (their follow, or an order shipped there);
    - ``never_bought``: who follow but never bought anything from the band;
    - ``table_show``: who gave their address at the merch table at show ``show_id``.

    Followers who turned the topic off in their preferences are left out. An update
    about a ``concert`` goes, within the segment, only to those who want "concerts
    nearby" and live in the concert's country (their follow, or an order shipped there);
    a follower whose country is unknown is not written to about it."""
    followers = Follower.objects.filter(artist=artist, state=FollowerState.CONFIRMED)
    topics: dict[str, str] = {
        Topic.NEWS: "wants_news",
        Topic.RELEASES: "wants_releases",
        Topic.CONCERTS: "wants_concerts",
    }
    wants = topics.get(str(topic))
    if wants:
        followers = followers.filter(**{wants: True})
    paid = _paid_orders(artist)
    if concert is not None:
        followers = followers.filter(wants_concerts=True).filter(
            _living_in(paid, concert.country.upper())
        )
    if segment == Segment.BUYERS:
        bought = paid.filter(lines__release=release) if release else paid.none()
        followers = followers.filter(email__in=_emails(bought))
    elif segment == Segment.SUPPORTERS:
        totals = (
            paid.values("email").annotate(paid=Sum("total_minor")).filter(paid__gt=min_minor or 0)
        )
        followers = followers.filter(email__in={email_normalise(t["email"]) for t in totals})
    elif segment == Segment.COUNTRY:
        followers = followers.filter(_living_in(paid, (country or "").upper()[:2]))
    elif segment == Segment.NEVER_BOUGHT:
        followers = followers.exclude(email__in=_emails(paid))
    elif segment == Segment.TABLE_SHOW:
        followers = followers.filter(email__in=_table_show_emails(artist=artist, show_id=show_id))
    return followers


def update_recipients(*, update: Update) -> QuerySet[Follower]:
    return segment_followers(
        artist=update.artist,
        segment=update.segment,
        topic=update.topic,
        release=update.segment_release,
        min_minor=update.segment_min_minor,
        country=update.segment_country,
        show_id=update.segment_show_id,
        concert=update.concert,
    )


# --- writing, scheduling ------------------------------------------------------------------


def _audit(*, update: Update, action: str, actor: str, **data: Any) -> None:
    """The band's action on an update, in its activity log (``core.audit``)."""
    activity_record(
        artist_id=update.artist_id, action=f"updates.{action}", obj=update, actor=actor, after=data
    )


def update_save(
    *,
    artist: Artist,
    update: Update | None = None,
    subject: str,
    body: str,
    topic: str = Topic.NEWS,
    segment: str = Segment.ALL,
    segment_release: Release | None = None,
    segment_min_minor: int | None = None,
    segment_country: str = "",
    segment_show_id: int | None = None,
    news_post: NewsPost | None = None,
    release: Release | None = None,
    concert: Concert | None = None,
    actor: str = "",
) -> Update:
    """Create an update (or edit a draft) of ``artist``. An update about one of the
    band's ``concert`` s is about concerts (its topic), for the followers nearby."""
    if concert is not None and concert.artist_id != artist.pk:
        raise UpdateError(_("Choose one of the band's concerts."))
    if update is None:
        update = Update(artist=artist, created_by=actor[:200])
    elif update.state not in (UpdateState.DRAFT, UpdateState.SCHEDULED):
        raise UpdateError("An update that is sending or sent cannot be changed.")
    update.subject = subject[:200]
    update.body = body
    update.topic = Topic.CONCERTS if concert is not None else topic
    update.concert = concert
    update.segment = segment
    update.segment_release = segment_release
    update.segment_min_minor = segment_min_minor
    update.segment_country = (segment_country or "").upper()[:2]
    update.segment_show_id = segment_show_id if segment == Segment.TABLE_SHOW else None
    update.news_post = news_post
    update.release = release
    with transaction.atomic():
        update.save()
        _audit(update=update, action="save", actor=actor)
    return update


def update_from_news(*, post: NewsPost, actor: str = "") -> Update:
    """A draft update carrying a news post of the band's site."""
    return update_save(
        artist=post.artist, subject=post.title, body=post.body, news_post=post, actor=actor
    )


def _transition(update: Update, to: str) -> None:
    if to not in UPDATE_TRANSITIONS[update.state]:
        raise UpdateError(f"An update cannot go from {update.state} to {to}.")
    update.state = to


def update_schedule(*, update: Update, send_at: datetime | None, actor: str = "") -> Update:
    """Send ``update`` at ``send_at`` (the periodic job starts it); None unschedules."""
    with transaction.atomic():
        locked = Update.objects.select_for_update().get(pk=update.pk)
        _transition(locked, UpdateState.SCHEDULED if send_at else UpdateState.DRAFT)
        locked.send_at = send_at
        locked.save(update_fields=["state", "send_at"])
        _audit(update=locked, action="schedule", actor=actor, send_at=str(send_at or ""))
    return locked


def update_start(*, update: Update, actor: str = "") -> int:
    """Queue ``update`` for every recipient of its segment and start sending (after
    commit, in the background). Returns how many recipients were queued."""
    with transaction.atomic():
        locked = Update.objects.select_for_update().select_related("artist").get(pk=update.pk)
        _transition(locked, UpdateState.SENDING)
        locked.started_at = timezone.now()
        locked.save(update_fields=["state", "started_at"])
        rows = [
            Delivery(update=locked, follower_id=pk, email=email)
            for pk, email in update_recipients(update=locked).values_list("pk", "email")
        ]
        Delivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        _audit(update=locked, action="start", actor=actor, recipients=len(rows))
        transaction.on_commit(lambda: _enqueue(locked.pk))
    update.state = locked.state
    return len(rows)


def _enqueue(update_id: int, run_after: datetime | None = None) -> None:
    from disquaire.fans.updates_tasks import update_send_task

    if run_after is not None:
        update_send_task.using(run_after=run_after).enqueue(update_id=update_id)
    else:
        update_send_task.enqueue(update_id=update_id)


def update_test_send(*, update: Update, to: str, language: str) -> None:
    """Send ``update`` to the band's own address ``to``, marked as a test."""
    update_test_message(update=update, to=to, language=language).send()


def update_counts(*, update: Update) -> dict[str, int]:
    """How many recipients are in each state."""
    counts = dict.fromkeys(DeliveryState.values, 0)
    for row in update.deliveries.values("state").order_by().annotate(n=Count("pk")):
        counts[row["state"]] = row["n"]
    return counts


def release_announce_set(*, release: Release, enabled: bool, actor: str = "") -> None:
    """Whether ``release`` announces itself to followers on its release day."""
    with transaction.atomic():
        announcement, _created = ReleaseAnnouncement.objects.get_or_create(release=release)
        announcement.enabled = enabled
        announcement.save(update_fields=["enabled"])
        activity_record(
            artist_id=release.artist_id,
            release_id=release.pk,
            action="updates.release_announce",
            obj=announcement,
            label=str(release),
            actor=actor,
            after={"enabled": enabled},
        )


def releases_announce(*, today: Any = None) -> int:
    """Announce to followers, once, each public release whose release day is today and
    that did not opt out (only today: releases out before this ran are not announced
    late)."""
    day = today or timezone.localdate()
    started = 0
    releases = Release.objects.filter(release_date=day).select_related("artist")
    for release in releases:
        if not release.is_public:
            continue
        announcement, _created = ReleaseAnnouncement.objects.get_or_create(release=release)
        if not announcement.enabled or announcement.update_id:
            continue
        with transaction.atomic():
            locked = ReleaseAnnouncement.objects.select_for_update().get(pk=announcement.pk)
            if locked.update_id:
                continue
            update = update_save(
                artist=release.artist,
                subject=release.title,
                # Empty: the mail says it in each follower's language (update.html).
                body="",
                topic=Topic.RELEASES,
                release=release,
                actor="system",
            )
            locked.update = update
            locked.save(update_fields=["update"])
            update_start(update=update, actor="system")
            started += 1
    return started
