"""Reminders to the band: a shop quiet for 30, 60 or 90 days (no report, no statement)
while it holds records or owes money, and units waiting too long without a sale.

``reminders_send`` is a periodic job (settings.DISQUAIRE_PERIODIC, run by the worker's
heartbeat): each threshold of each quiet spell is written once as a ``Reminder`` row —
claimed before the e-mail goes — so each e-mail is sent once; the shops are looked at once a
day.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from disquaire.catalog.models import Membership
from disquaire.consignment.models import Reminder
from disquaire.consignment.selectors import ShopSummary, shop_quiet_since, shops_to_remind

logger = logging.getLogger(__name__)

# Reminders go out in the morning, after this local hour.
REMINDER_HOUR = 7


def _recipients(summary: ShopSummary) -> list[str]:
    return sorted(
        set(
            Membership.objects.filter(artist_id=summary.shop.artist_id)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


def _claim(summary: ShopSummary) -> Reminder | None:
    since = shop_quiet_since(shop=summary.shop)
    if since is None or summary.reminder is None:
        return None
    try:
        with transaction.atomic():
            return Reminder.objects.create(shop=summary.shop, days=summary.reminder, since=since)
    except IntegrityError:
        return None  # sent already, by this run or another worker's


def _send(summary: ShopSummary, reminder: Reminder) -> None:
    shop = summary.shop
    url = settings.SITE_URL + reverse(
        "backstage:consignment_shop", kwargs={"artist": shop.artist.slug, "shop_id": shop.pk}
    )
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(
            "consignment/reminder_subject.txt", {"shop": shop, "reminder": reminder}
        ).strip()
        body = render_to_string(
            "consignment/reminder.txt", {"summary": summary, "reminder": reminder, "url": url}
        )
    send_mail(subject, body, None, _recipients(summary), fail_silently=False)


def reminders_send(*, now: datetime | None = None) -> int:
    """Periodic job: e-mail the band about each shop past a new threshold. Returns how
    many reminders were sent."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < REMINDER_HOUR:
        return 0
    # The job is offered every few seconds; the shops are looked at once a day (per
    # process: the Reminder rows keep a second look from sending anything twice).
    if not cache.add(f"consignment:reminders:{local.date().isoformat()}", 1, timeout=86400):
        return 0
    sent = 0
    for summary in shops_to_remind(today=local.date()):
        reminder = _claim(summary)
        if reminder is None:
            continue
        try:
            _send(summary, reminder)
        except Exception:
            # Forget the claim so that the next day's run tries again.
            logger.exception("consignment reminder for shop %s failed", summary.shop.pk)
            reminder.delete()
            continue
        sent += 1
    return sent
