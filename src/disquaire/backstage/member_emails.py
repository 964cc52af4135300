"""E-mails to the band's members: a new order (with what to post and where), a daily
summary, payment problems and refunds. Each member chooses which, and their language.

Orders tell (``orders.signals``) inside the transaction of the change; the receivers
here queue ``member_emails_task`` once it commits. The task sends each member their
e-mail once: a ``MemberEmail`` row per (member, artist, kind, event key) is claimed
before sending, so a task run twice, or a retry racing the first run, never mails twice.
A sending that fails is tried again by the periodic ``member_emails_retry``.

Test orders (``orders.selectors.order_is_test``) never mail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from disquaire.backstage.desk import day_bounds, desk_figures, desk_todo_counts
from disquaire.backstage.models import MemberEmail, MemberEmailKind, MemberEmailSettings
from disquaire.catalog.models import Artist, Membership
from disquaire.core.money import Money
from disquaire.fans.follow_selectors import followers_confirmed_count
from disquaire.orders.models import Order, OrderState, Payment, Refund
from disquaire.orders.selectors import order_is_test, order_lines

logger = logging.getLogger(__name__)

# The morning e-mail goes after this hour (instance time zone), about the day before.
DAILY_SUMMARY_HOUR = 7
# A sending that failed is tried again after 5, 10, 20, 40 minutes, then given up.
RETRY_FIRST = timedelta(minutes=5)
MAX_ATTEMPTS = 5
RETRY_WITHIN = timedelta(days=1)


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


# --- preferences -------------------------------------------------------------------------


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
        try:
            prefs = membership.email_settings
        except MemberEmailSettings.DoesNotExist:
            prefs = MemberEmailSettings(membership=membership)
        if prefs.wants(kind):
            chosen.append((membership, prefs.language or artist.default_language))
    return chosen


# --- the events --------------------------------------------------------------------------


def _url(path: str) -> str:
    return settings.SITE_URL + path


def _order_url(order: Order) -> str:
    kwargs = {"artist": order.artist.slug, "code": order.code}
    return _url(reverse("backstage:order", kwargs=kwargs))


def _desk_url(artist: Artist) -> str:
    return _url(reverse("backstage:desk", kwargs={"artist": artist.slug}))


def _settings_url(artist: Artist) -> str:
    return _url(reverse("backstage:member_emails", kwargs={"artist": artist.slug}))


def _render(template: str, subject: str, context: dict[str, Any]) -> Mail:
    body = render_to_string(template, context)
    return Mail(subject=subject, body=body)


def _new_order(order: Order) -> Callable[[], Mail]:
    def build() -> Mail:
        lines = list(order_lines(order))
        to_post = [line for line in lines if line.ships]
        total = Money(order.total_minor, order.currency).format()
        if to_post:
            subject = _("New order %(code)s to post: %(total)s") % {
                "code": order.code,
                "total": total,
            }
        else:
            subject = _("New order %(code)s: %(total)s") % {"code": order.code, "total": total}
        return _render(
            "backstage/emails/member_new_order.txt",
            subject,
            {
                "order": order,
                "artist": order.artist,
                "lines": lines,
                "to_post": to_post,
                "total": total,
                "shipping": Money(order.shipping_minor, order.currency).format(),
                "order_url": _order_url(order),
                "desk_url": _desk_url(order.artist),
                "settings_url": _settings_url(order.artist),
            },
        )

    return build


def _payment_failed(payment: Payment) -> Callable[[], Mail]:
    order = payment.order

    def build() -> Mail:
        return _render(
            "backstage/emails/member_payment_problem.txt",
            _("A payment for order %(code)s failed") % {"code": order.code},
            {
                "order": order,
                "payment": payment,
                "amount": Money(payment.amount_minor, payment.currency).format(),
                "reason": str(payment_failure_reason(payment)),
                "order_url": _order_url(order),
                "settings_url": _settings_url(order.artist),
            },
        )

    return build


def payment_failure_reason(payment: Payment) -> str:
    """The reason the provider gave, as recorded in the audit log ("" if none)."""
    entry = (
        payment.order.audit_entries.filter(
            object_type="payment", object_id=str(payment.pk), action="payment.failed"
        )
        .order_by("-pk")
        .first()
    )
    return str((entry.data or {}).get("reason", "")) if entry else ""


def _order_flagged(order: Order) -> Callable[[], Mail]:
    def build() -> Mail:
        return _render(
            "backstage/emails/member_payment_problem.txt",
            _("Order %(code)s needs your attention") % {"code": order.code},
            {
                "order": order,
                "flagged": True,
                "note": order.attention_note.strip(),
                "order_url": _order_url(order),
                "settings_url": _settings_url(order.artist),
            },
        )

    return build


def _refund(refund: Refund) -> Callable[[], Mail]:
    payment = refund.payment
    order = payment.order

    def build() -> Mail:
        amount = Money(refund.amount_minor, payment.currency).format()
        return _render(
            "backstage/emails/member_refund.txt",
            _("Order %(code)s: %(amount)s refunded") % {"code": order.code, "amount": amount},
            {
                "order": order,
                "refund": refund,
                "amount": amount,
                "whole": order.state == OrderState.REFUNDED,
                "order_url": _order_url(order),
                "settings_url": _settings_url(order.artist),
            },
        )

    return build


def _summary(artist: Artist, day: date) -> Callable[[], Mail | None]:
    """Yesterday's figures and what is left to do; None on a day with nothing to tell."""

    def build() -> Mail | None:
        figures = desk_figures(artist=artist, start=day, end=day)
        todo = desk_todo_counts(artist=artist)
        start, end = day_bounds(day)
        followers = followers_confirmed_count(artist=artist, start=start, end=end)
        if not (figures.orders or figures.plays or followers or any(todo.values())):
            return None
        return _render(
            "backstage/emails/member_daily_summary.txt",
            _("%(artist)s on %(day)s: %(orders)s orders, %(revenue)s")
            % {
                "artist": artist.name,
                "day": _date_words(day),
                "orders": figures.orders,
                "revenue": figures.revenue.format(),
            },
            {
                "artist": artist,
                "day": day,
                "figures": figures,
                "revenue": figures.revenue.format(),
                "followers": followers,
                "todo": todo,
                "desk_url": _desk_url(artist),
                "settings_url": _settings_url(artist),
            },
        )

    return build


def _date_words(day: date) -> str:
    from django.utils.formats import date_format

    return date_format(day, "DATE_FORMAT")


@dataclass(frozen=True)
class Event:
    artist: Artist
    build: Callable[[], Mail | None]


def _event(kind: str, key: str, object_id: int | None, artist_id: int) -> Event | None:
    """What to tell about (kind, key), or None when there is nothing (any more) to tell:
    a test order, an order gone back to pending, a vanished object."""
    pk = object_id or 0
    if kind == MemberEmailKind.NEW_ORDER:
        order = Order.objects.select_related("artist").filter(pk=pk).first()
        if order is None or order.state not in (OrderState.PAID, OrderState.FULFILLED):
            return None
        if order_is_test(order):
            return None
        # A free download is news for the daily summary, not an e-mail each.
        if order.total_minor == 0 and not order.ships:
            return None
        return Event(order.artist, _new_order(order))
    if kind == MemberEmailKind.PAYMENT_PROBLEM:
        if key.startswith("payment-"):
            payment = Payment.objects.select_related("order__artist").filter(pk=pk).first()
            if payment is None or order_is_test(payment.order):
                return None
            return Event(payment.order.artist, _payment_failed(payment))
        order = Order.objects.select_related("artist").filter(pk=pk).first()
        if order is None or order_is_test(order):
            return None
        return Event(order.artist, _order_flagged(order))
    if kind == MemberEmailKind.REFUND:
        refund = Refund.objects.select_related("payment__order__artist").filter(pk=pk).first()
        if refund is None or order_is_test(refund.payment.order):
            return None
        return Event(refund.payment.order.artist, _refund(refund))
    if kind == MemberEmailKind.DAILY_SUMMARY:
        artist = Artist.objects.filter(pk=artist_id).first()
        if artist is None:
            return None
        return Event(artist, _summary(artist, date.fromisoformat(key.removeprefix("summary-"))))
    raise ValueError(f"unknown member e-mail kind {kind!r}")


# --- sending, once -----------------------------------------------------------------------


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


def _send(*, row: MemberEmail, address: str, language: str, event: Event) -> bool:
    try:
        with translation.override(language or settings.LANGUAGE_CODE):
            mail = event.build()
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
    event = _event(kind, key, object_id, artist_id)
    if event is None:
        return 0
    sent = 0
    for membership, language in _recipients(artist=event.artist, kind=kind):
        row = _claim(
            user_id=membership.user_id,
            artist_id=event.artist.pk,
            kind=kind,
            key=key,
            object_id=object_id,
        )
        if row is not None and _send(
            row=row, address=membership.user.email, language=language, event=event
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
    for row in list(due.order_by("created_at")[:100]):
        wait = RETRY_FIRST * 2 ** max(0, row.attempts - 1)
        if (row.tried_at or row.created_at) + wait > now:
            continue
        membership = (
            Membership.objects.filter(artist_id=row.artist_id, user_id=row.user_id)
            .select_related("user", "artist")
            .first()
        )
        if membership is None:
            continue
        claimed = MemberEmail.objects.filter(pk=row.pk, sent_at__isnull=True).update(
            sent_at=now, tried_at=now
        )
        if not claimed:
            continue
        event = _event(row.kind, row.key, row.object_id, row.artist_id)
        if event is None:
            MemberEmail.objects.filter(pk=row.pk).update(skipped=True)
            continue
        prefs = member_email_settings(membership=membership)
        language = prefs.language or membership.artist.default_language
        if _send(row=row, address=membership.user.email, language=language, event=event):
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
