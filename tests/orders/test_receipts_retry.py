"""Receipts not sent — the mail server refused them, or their task never ran — are sent
by the periodic ``receipts_retry``, with growing waits, never twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from disquaire.orders import emails
from disquaire.orders.models import Order
from disquaire.orders.services import (
    RECEIPT_MAX_ATTEMPTS,
    order_receipt_send_once,
    payment_confirm,
    payment_create,
    receipts_retry,
)
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


def _paid_without_receipt() -> Order:
    """A paid order whose receipt task has not run (the commit's callbacks never run
    inside a test transaction)."""
    order = order_for(OfferFactory(stock=5))
    payment_confirm(payment=payment_create(order=order, provider="test"))
    order.refresh_from_db()
    assert order.paid_at is not None and order.receipt_sent_at is None
    mail.outbox.clear()
    return order


def _mail_server_down(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def refuse(*, order: Order, **kwargs: Any) -> None:
        calls.append(order.pk)
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(emails, "order_receipt_send", refuse)
    return calls


def _at(monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> dt.datetime:
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def test_a_receipt_whose_task_never_ran_is_sent_once_after_a_while() -> None:
    order = _paid_without_receipt()
    assert order.paid_at is not None
    assert receipts_retry(now=order.paid_at + 4 * MINUTE) == 0  # its task may still come
    assert receipts_retry(now=order.paid_at + 6 * MINUTE) == 1
    assert [m.to for m in mail.outbox] == [[order.email]]
    assert receipts_retry(now=order.paid_at + 60 * MINUTE) == 0
    assert not order_receipt_send_once(order_id=order.pk)  # the late task sends nothing
    assert len(mail.outbox) == 1


def test_a_refused_receipt_is_tried_again_with_doubling_waits_then_left_to_the_band(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _mail_server_down(monkeypatch)
    order = _paid_without_receipt()
    clock = _at(monkeypatch, timezone.localtime())
    assert not order_receipt_send_once(order_id=order.pk)  # the task's own attempt
    order.refresh_from_db()
    assert order.receipt_attempts == 1 and "mail server down" in order.receipt_error
    assert order.receipt_sent_at is None and order.receipt_tried_at == clock

    for attempt in range(1, RECEIPT_MAX_ATTEMPTS):
        wait = 5 * MINUTE * 2 ** (attempt - 1)
        assert receipts_retry(now=clock + wait - MINUTE) == 0  # not yet
        clock = _at(monkeypatch, clock + wait)
        assert receipts_retry(now=clock) == 0  # tried, refused again
        assert len(calls) == attempt + 1
    order.refresh_from_db()
    assert order.receipt_attempts == RECEIPT_MAX_ATTEMPTS
    assert receipts_retry(now=clock + 100_000 * MINUTE) == 0  # given up: the error stays
    assert len(calls) == RECEIPT_MAX_ATTEMPTS and order.receipt_error


def test_once_the_mail_server_is_back_the_receipt_goes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _mail_server_down(monkeypatch)
    order = _paid_without_receipt()
    assert not order_receipt_send_once(order_id=order.pk)
    assert calls == [order.pk]
    monkeypatch.undo()  # the mail server is back
    order.refresh_from_db()
    assert order.receipt_tried_at is not None
    assert receipts_retry(now=order.receipt_tried_at + 6 * MINUTE) == 1
    order.refresh_from_db()
    assert order.receipt_sent_at is not None and len(mail.outbox) == 1


def test_the_band_sees_whether_the_receipt_went(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.test import Client
    from django.urls import reverse

    from disquaire.catalog.models import Membership
    from tests.factories import MembershipFactory, UserFactory

    _mail_server_down(monkeypatch)
    order = _paid_without_receipt()
    user = UserFactory()
    MembershipFactory(artist=order.artist, user=user, role=Membership.Role.OWNER)
    client = Client()
    client.force_login(user)
    url = reverse("backstage:order", kwargs={"artist": order.artist.slug, "code": order.code})
    assert "on its way" in client.get(url).content.decode()
    order_receipt_send_once(order_id=order.pk)
    page = client.get(url).content.decode()
    assert "not sent (1 attempt): mail server down" in page
    assert "tried again automatically" in page
