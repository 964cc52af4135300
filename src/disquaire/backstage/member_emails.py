"""Sending e-mails to the band's members: a new order (with what to post and where), a
daily summary, payment problems and refunds (what each says: ``member_email_events``).
Each member chooses which, and their language.

Orders tell (``orders.signals``) inside the transaction of the change; the receivers
here queue ``member_emails_task`` once it commits. The task sends each member their
e-mail once: a ``MemberEmail`` row per (member, artist, kind, event key) is claimed
before sending, so a task run twice, or a retry racing the first run, never mails twice.
A sending that fails is tried again by the periodic ``member_emails_retry``.

Test orders (``orders.selectors.order_is_test``) never mail.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation

from disquaire.backstage.member_email_events import Event, Mail, event_for
from disquaire.backstage.models import MemberEmail, MemberEmailKind, MemberEmailSettings
from disquaire.catalog.models import Artist, Membership

logger = logging.getLogger(__name__)


# The morning e-mail goes after this hour (instance time zone), about the day before.
DAILY_SUMMARY_HOUR = 7


# A sending that failed is tried again after 5, 10, 20, 40 minutes, then given up.
RETRY_FIRST = timedelta(minutes=5)


MAX_ATTEMPTS = 5


RETRY_WITHIN = timedelta(days=1)


def member_email_settings(*, membership: Membership) -> MemberEmailSettings:
    """The member's choices; the defaults (unsaved) when they never chose."""
    found = MemberEmailSettings.objects.filter(membership=membership).first()
    return found or MemberEmailSettings(membership=membership)


def member_email_settings_save(
    *, membership: Membership, choices: dict[str, Any]
) -> MemberEmailSettings:
    """Record which e-mails the member wants (``choices``: the model's fields by name)."""
    fields = [kind.value for kind in MemberEmailKind] + ["language"]
    with transaction.atomic():
        prefs, _created = MemberEmailSettings.objects.select_for_update().get_or_create(
            membership=membership
        )
        for name in fields:
            if name in choices:
                setattr(prefs, name, choices[name])
        prefs.save()
    return prefs


def _prefs(membership: Membership) -> MemberEmailSettings:
    """The member's choices, read with the membership (``select_related``)."""
    try:
        return membership.email_settings
    except MemberEmailSettings.DoesNotExist:
        return MemberEmailSettings(membership=membership)


def _recipients(*, artist: Artist, kind: str) -> list[tuple[Membership, str]]:
    """(membership, language) of each member of ``artist`` who wants ``kind``."""
    memberships = (
        Membership.objects.filter(artist=artist)
        .exclude(user__email="")
        .select_related("user", "email_settings")
        .order_by("pk")
    )
    chosen = []
    for membership in memberships:
        prefs = _prefs(membership)
        if prefs.wants(kind):
            chosen.append((membership, prefs.language or artist.default_language))
    return chosen


def _claim(
    *, user_id: int, artist_id: int, kind: str, key: str, object_id: int | None
) -> MemberEmail | None:
    """The row of this e-mail, claimed for sending now; None when it was sent already
    (or another run is sending it)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            return MemberEmail.objects.create(
                user_id=user_id,
                artist_id=artist_id,
                kind=kind,
                key=key,
                object_id=object_id,
                sent_at=now,
                tried_at=now,
            )
    except IntegrityError:
        pass
    row = MemberEmail.objects.filter(
        user_id=user_id, artist_id=artist_id, kind=kind, key=key
    ).first()
    if row is None:
        return None
    claimed = MemberEmail.objects.filter(pk=row.pk, sent_at__isnull=True, skipped=False).update(
        sent_at=now, tried_at=now
    )
    return row if claimed else None


class _Mails:
    """An event's e-mail built once per language (its queries run once, not once a
    member), for all the members it goes to."""

    def __init__(self, event: Event) -> None:
        self.event = event
        self._built: dict[str, Mail | None] = {}

    def build(self, language: str) -> Mail | None:
        language = language or settings.LANGUAGE_CODE
        if language not in self._built:
            with translation.override(language):
                self._built[language] = self.event.build()
        return self._built[language]


def _send(*, row: MemberEmail, address: str, language: str, mails: _Mails) -> bool:
    try:
        mail = mails.build(language)
        if mail is None:
            MemberEmail.objects.filter(pk=row.pk).update(skipped=True, error="")
            return False
        EmailMessage(mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL, [address]).send()
    except Exception as exc:
        logger.exception("member e-mail %s %s to user %s not sent", row.kind, row.key, row.user_id)
        MemberEmail.objects.filter(pk=row.pk).update(
            sent_at=None, error=str(exc)[:500], attempts=F("attempts") + 1
        )
        return False
    MemberEmail.objects.filter(pk=row.pk).update(error="")
    return True


def member_emails_send(
    *, kind: str, key: str, object_id: int | None = None, artist_id: int = 0
) -> int:
    """Tell every member who wants ``kind`` about one event (``key`` names it), each once.

    Returns how many e-mails went out now.
    """
    event = event_for(kind, key, object_id, artist_id)
    if event is None:
        return 0
    sent = 0
    mails = _Mails(event)
    for membership, language in _recipients(artist=event.artist, kind=kind):
        row = _claim(
            user_id=membership.user_id,
            artist_id=event.artist.pk,
            kind=kind,
            key=key,
            object_id=object_id,
        )
        if row is not None and _send(
            row=row, address=membership.user.email, language=language, mails=mails
        ):
            sent += 1
    return sent


def _queue_in_transaction(task: Any) -> bool:
    """True when tasks are rows of this database (django-tasks-db): a task queued inside
    the change's own transaction is then kept exactly when the change is."""
    from django.db import router
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    return isinstance(task.get_backend(), DatabaseBackend) and (
        router.db_for_write(DBTaskResult) == router.db_for_write(MemberEmail)
    )


def member_emails_enqueue(*, kind: str, key: str, object_id: int | None, artist_id: int) -> None:
    """Queue the e-mails of one event with the current transaction: in it when tasks are
    rows of the same database (no extra commit on the checkout path), else after it."""
    from disquaire.backstage.tasks import member_emails_task

    def enqueue() -> None:
        try:
            member_emails_task.enqueue(
                kind=str(kind), key=key, object_id=object_id, artist_id=artist_id
            )
        except Exception:
            # The change stands if the queue is unavailable; the desk shows it all.
            logger.exception("member e-mails %s %s not queued", kind, key)

    if transaction.get_connection().in_atomic_block and _queue_in_transaction(member_emails_task):
        member_emails_task.enqueue(
            kind=str(kind), key=key, object_id=object_id, artist_id=artist_id
        )
    else:
        transaction.on_commit(enqueue)


def member_emails_retry(*, now: datetime | None = None) -> int:
    """Periodic job: send again the members' e-mails whose sending failed, when due."""
    now = now or timezone.now()
    due = MemberEmail.objects.filter(
        sent_at__isnull=True,
        skipped=False,
        attempts__lt=MAX_ATTEMPTS,
        created_at__gte=now - RETRY_WITHIN,
    ).select_related("user")
    sent = 0
    rows = [
        row
        for row in due.order_by("created_at")[:100]
        if (row.tried_at or row.created_at) + RETRY_FIRST * 2 ** max(0, row.attempts - 1) <= now
    ]
    # The members' rows and choices in one query, not two a row.
    members: dict[tuple[int, int], Membership] = {
        (m.artist_id, m.user_id): m
        for m in Membership.objects.filter(
            artist_id__in={r.artist_id for r in rows}, user_id__in={r.user_id for r in rows}
        ).select_related("user", "artist", "email_settings")
    }
    for row in rows:
        membership = members.get((row.artist_id, row.user_id))
        if membership is None:
            continue
        claimed = MemberEmail.objects.filter(pk=row.pk, sent_at__isnull=True).update(
            sent_at=now, tried_at=now
        )
        if not claimed:
            continue
        event = event_for(row.kind, row.key, row.object_id, row.artist_id)
        if event is None:
            MemberEmail.objects.filter(pk=row.pk).update(skipped=True)
            continue
        language = _prefs(membership).language or membership.artist.default_language
        if _send(row=row, address=membership.user.email, language=language, mails=_Mails(event)):
            sent += 1
    return sent


def daily_summaries_send(*, now: datetime | None = None) -> int:
    """Periodic job: once the morning hour has passed, send yesterday's summary to each
    member who wants it and has not had it (a day with nothing to tell sends nothing).
    Returns how many were sent."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < DAILY_SUMMARY_HOUR:
        return 0
    key = f"summary-{(local.date() - timedelta(days=1)).isoformat()}"
    wanting = MemberEmailSettings.objects.filter(daily_summary=True).exclude(
        membership__user__email=""
    )
    done = set(
        MemberEmail.objects.filter(kind=MemberEmailKind.DAILY_SUMMARY, key=key).values_list(
            "user_id", "artist_id"
        )
    )
    artist_ids = sorted(
        {
            artist_id
            for user_id, artist_id in wanting.values_list(
                "membership__user_id", "membership__artist_id"
            )
            if (user_id, artist_id) not in done
        }
    )
    return sum(
        member_emails_send(kind=MemberEmailKind.DAILY_SUMMARY, key=key, artist_id=artist_id)
        for artist_id in artist_ids
    )
