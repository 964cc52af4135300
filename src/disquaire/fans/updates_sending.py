"""Sending updates: claimed batches, retries, the rate, at most once after a crash.

Sending, and why a mail is never sent twice
-------------------------------------------
Each recipient is a ``Delivery`` row. A sender *claims* a batch of queued rows (one
conditional UPDATE, ``queued`` → ``sending``, stamped with a claim token, inside a
transaction; on PostgreSQL the rows are picked with ``SKIP LOCKED`` so parallel senders
take different rows), commits, then hands the mails to the mail server one by one on one
open connection, and marks the ones the server accepted ``sent``.

- The server refuses the connection, answers with an error or times out: that row goes
  back to ``queued`` with a later ``next_attempt_at`` (up to
  ``DISQUAIRE_UPDATES_MAX_ATTEMPTS`` tries, then ``failed``); the rest of the batch, not
  handed over yet, goes back to ``queued`` untouched, and the task runs again later.
- The process dies between the claim and the "sent" mark: the row stays ``sending``. We
  cannot know whether the server took the mail, and the issue asks for **at most once**:
  ``deliveries_recover`` marks such rows ``failed`` ("interrupted") once they are older
  than ``DISQUAIRE_UPDATES_CLAIM_TIMEOUT`` seconds, and nothing ever sends them again.
  At most one batch per crashed sender is lost that way (``DISQUAIRE_UPDATES_BATCH``).

The rate (``DISQUAIRE_UPDATES_RATE`` mails per second, 0 for no limit) is kept by
pacing each hand-over; a task sends for at most ``DISQUAIRE_UPDATES_TASK_SECONDS`` and
then enqueues itself again so that other work gets the worker too.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import secrets
import smtplib
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from disquaire.fans.follow import follow_urls_for
from disquaire.fans.follow_models import FollowerState
from disquaire.fans.updates import UpdateError, _enqueue, releases_announce, update_start
from disquaire.fans.updates_mail import (
    PreparedUpdate,
    message_domain,
    sender_address,
    update_render,
)
from disquaire.fans.updates_models import Delivery, DeliveryState, Update, UpdateState

logger = logging.getLogger("disquaire.fans.updates")


# --- sending ---------------------------------------------------------------------------------


@dataclass
class Claimed:
    pk: int
    email: str
    follower_id: int
    language: str


def _claim(*, update_id: int, limit: int) -> list[Claimed]:
    """Claim up to ``limit`` due rows: ``queued`` → ``sending`` under a fresh token."""
    token = secrets.token_hex(16)
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    with transaction.atomic():
        picked = Delivery.objects.filter(update_id=update_id, state=DeliveryState.QUEUED).filter(
            due
        )
        if db_connection.features.has_select_for_update_skip_locked:
            picked = picked.select_for_update(skip_locked=True)
        ids = list(picked.order_by("pk").values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        # Followers who left since the update was queued are not written to.
        Delivery.objects.filter(
            pk__in=ids, state=DeliveryState.QUEUED, follower__state=FollowerState.UNSUBSCRIBED
        ).update(state=DeliveryState.UNSUBSCRIBED)
        Delivery.objects.filter(pk__in=ids, state=DeliveryState.QUEUED).exclude(
            follower__state__in=[FollowerState.CONFIRMED, FollowerState.UNSUBSCRIBED]
        ).update(state=DeliveryState.FAILED, error="address not confirmed or blocked")
        Delivery.objects.filter(pk__in=ids, state=DeliveryState.QUEUED).update(
            state=DeliveryState.SENDING,
            claim=token,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    rows = Delivery.objects.filter(claim=token, state=DeliveryState.SENDING).values_list(
        "pk", "email", "follower_id", "follower__language", "attempts"
    )
    return [Claimed(pk, email, fid, lang) for pk, email, fid, lang, _n in rows]


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 60 * 2 ** max(0, attempts - 1)))


def _give_back(rows: list[Claimed]) -> None:
    """Rows claimed but never handed to the server: queued again, the try not counted."""
    if rows:
        Delivery.objects.filter(pk__in=[r.pk for r in rows], state=DeliveryState.SENDING).update(
            state=DeliveryState.QUEUED, claim="", attempts=F("attempts") - 1
        )


def _retry_later(row: Claimed, error: str) -> None:
    """The server refused or timed out: queued again later, or failed after the last try."""
    delivery = Delivery.objects.get(pk=row.pk)
    maximum = settings.DISQUAIRE_UPDATES_MAX_ATTEMPTS
    if delivery.attempts >= maximum:
        state, when = DeliveryState.FAILED, None
    else:
        state, when = DeliveryState.QUEUED, timezone.now() + _backoff(delivery.attempts)
    Delivery.objects.filter(pk=row.pk, state=DeliveryState.SENDING).update(
        state=state, claim="", next_attempt_at=when, error=error[:300]
    )
    # The server is in trouble: the rest of the update waits as long, rather than
    # knocking at its door once per recipient.
    if when is not None:
        Delivery.objects.filter(update_id=delivery.update_id, state=DeliveryState.QUEUED).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=when)
        ).update(next_attempt_at=when)


SEND_ERRORS = (smtplib.SMTPException, OSError)


class _Sender(threading.Thread):
    """Hands prepared mails to the open connection, in order, at the configured pace,
    while the caller's thread prepares the next ones: building a mail and waiting for
    the server's answers then overlap. It touches no database; each mail's outcome goes
    back through ``done`` as (index, "sent" | "refused" | "error" | "skipped" | "crash",
    exception). After an error, the mails still waiting are "skipped" (never handed
    over)."""

    def __init__(self, *, mail: Any, interval: float) -> None:
        super().__init__(name="update-sender", daemon=True)
        self.mail = mail
        self.interval = interval
        self.todo: queue.Queue[tuple[int, Any] | None] = queue.Queue(maxsize=256)
        self.done: queue.Queue[tuple[int, str, BaseException | None]] = queue.Queue()
        self.stopped = False

    def run(self) -> None:
        next_slot = time.monotonic()
        while True:
            item = self.todo.get()
            if item is None:
                return
            index, message = item
            if self.stopped:
                self.done.put((index, "skipped", None))
                continue
            if self.interval:
                now = time.monotonic()
                if next_slot > now:
                    time.sleep(next_slot - now)
                next_slot = max(next_slot, now) + self.interval
            try:
                accepted = self.mail.send_messages([message])
            except SEND_ERRORS as exc:
                self.stopped = True
                self.done.put((index, "error", exc))
                continue
            except BaseException as exc:  # the caller re-raises it, as if it were its own
                self.stopped = True
                self.done.put((index, "crash", exc))
                continue
            self.done.put((index, "sent" if accepted else "refused", None))


def update_send(*, update_id: int, budget_seconds: float | None = None) -> int:
    """Send what is due of ``update_id`` (see the module's docstring); return how many
    mails the server accepted. Enqueues itself again while rows are left."""
    update = Update.objects.select_related("artist", "release").filter(pk=update_id).first()
    if update is None or update.state != UpdateState.SENDING:
        return 0
    budget = (
        budget_seconds if budget_seconds is not None else settings.DISQUAIRE_UPDATES_TASK_SECONDS
    )
    rate = float(settings.DISQUAIRE_UPDATES_RATE)
    batch = settings.DISQUAIRE_UPDATES_BATCH
    renders: dict[str, PreparedUpdate] = {}
    from_email = sender_address(update=update)
    domain = message_domain()
    started = time.monotonic()
    sent_total = 0
    interrupted = False
    mail = get_connection(fail_silently=False)
    try:
        # One connection for the whole run: send_messages on an open connection reuses it.
        mail.open()
    except SEND_ERRORS as exc:
        logger.warning("update %s: the mail server cannot be reached: %s", update.pk, exc)
        _server_down(update, f"{type(exc).__name__}: {exc}")
        return 0
    sender = _Sender(mail=mail, interval=1.0 / rate if rate > 0 else 0.0)
    sender.start()
    try:
        while not interrupted and time.monotonic() - started < budget:
            rows = _claim(update_id=update.pk, limit=batch)
            if not rows:
                break
            for index, row in enumerate(rows):
                prepared = renders.get(row.language)
                if prepared is None:
                    prepared = renders[row.language] = PreparedUpdate(
                        rendered=update_render(update=update, language=row.language),
                        from_email=from_email,
                    )
                urls = follow_urls_for(follower_id=row.follower_id, email=row.email)
                message = prepared.message(
                    to=row.email,
                    unsubscribe_url=urls["unsubscribe"],
                    preferences_url=urls["preferences"],
                    message_id=f"<d{row.pk}.u{update.pk}@{domain}>",
                    connection=mail,
                )
                sender.todo.put((index, message))
            outcomes = sorted(sender.done.get() for _row in rows)
            crash = next((err for _i, status, err in outcomes if status == "crash"), None)
            if crash is not None:
                # Like a process dying: nothing of this batch is marked, its rows stay
                # "sending" and are never sent again (deliveries_recover).
                raise crash
            sent = [rows[i].pk for i, status, _exc in outcomes if status == "sent"]
            # Given back first: a retry below then holds them back with the rest.
            _give_back([rows[i] for i, status, _exc in outcomes if status == "skipped"])
            for i, status, error in outcomes:
                if status == "error":
                    logger.warning(
                        "update %s: sending to delivery %s failed: %s", update.pk, rows[i].pk, error
                    )
                    _retry_later(rows[i], f"{type(error).__name__}: {error}")
                    interrupted = True
                elif status == "refused":
                    _retry_later(rows[i], "not accepted")
            if sent:
                Delivery.objects.filter(pk__in=sent, state=DeliveryState.SENDING).update(
                    state=DeliveryState.SENT, sent_at=timezone.now(), claim=""
                )
                sent_total += len(sent)
    finally:
        sender.stopped = True
        sender.todo.put(None)
        sender.join()
        with contextlib.suppress(smtplib.SMTPException, OSError):
            mail.close()
    _after_run(update)
    return sent_total


def _server_down(update: Update, error: str) -> None:
    """No connection at all: the first due row counts a try (so a server down for good
    ends in "failed", not in an endless loop), then everything waits for the retry."""
    rows = _claim(update_id=update.pk, limit=1)
    for row in rows:
        _retry_later(row, error)
    _after_run(update)


def _after_run(update: Update) -> None:
    """Finish the update when nothing is left to send, or come back when rows are due."""
    left = Delivery.objects.filter(update=update, state=DeliveryState.QUEUED)
    if left.exists():
        when = left.filter(next_attempt_at__isnull=False).order_by("next_attempt_at").first()
        due_now = left.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now())
        ).exists()
        run_after = None if due_now or when is None else when.next_attempt_at
        transaction.on_commit(lambda: _enqueue(update.pk, run_after))
        return
    if not Delivery.objects.filter(update=update, state=DeliveryState.SENDING).exists():
        Update.objects.filter(pk=update.pk, state=UpdateState.SENDING).update(
            state=UpdateState.SENT, finished_at=timezone.now()
        )


# --- periodic --------------------------------------------------------------------------------


def deliveries_recover() -> int:
    """Rows left ``sending`` by a crashed sender: marked ``failed``, never sent again
    (at most once: the server may or may not have taken the mail)."""
    timeout = settings.DISQUAIRE_UPDATES_CLAIM_TIMEOUT
    stale = timezone.now() - timedelta(seconds=timeout)
    count = Delivery.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=stale).update(
        state=DeliveryState.FAILED,
        claim="",
        error="interrupted while sending: not sent again (at most once)",
    )
    finished = list(
        Update.objects.filter(state=UpdateState.SENDING)
        .exclude(deliveries__state__in=[DeliveryState.QUEUED, DeliveryState.SENDING])
        .values_list("pk", flat=True)
    )
    if finished:
        Update.objects.filter(pk__in=finished, state=UpdateState.SENDING).update(
            state=UpdateState.SENT, finished_at=timezone.now()
        )
    return count


def updates_due() -> int:
    """Start the scheduled updates whose time has come, announce the releases out today,
    recover interrupted sendings, and wake sendings whose task was lost."""
    now = timezone.now()
    started = 0
    for update in Update.objects.filter(state=UpdateState.SCHEDULED, send_at__lte=now):
        try:
            update_start(update=update, actor="system")
            started += 1
        except UpdateError:
            continue
    started += releases_announce()
    deliveries_recover()
    # A sending whose task died (the worker was killed): rows due for a while and none
    # claimed lately. Claims keep a second task harmless anyway.
    quiet = now - timedelta(seconds=settings.DISQUAIRE_UPDATES_CLAIM_TIMEOUT)
    for update in Update.objects.filter(state=UpdateState.SENDING, started_at__lt=quiet):
        deliveries = update.deliveries
        if deliveries.filter(claimed_at__gte=quiet).exists():
            continue
        if (
            deliveries.filter(state=DeliveryState.QUEUED)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=quiet))
            .exists()
        ):
            _enqueue(update.pk)
    return started
