"""E-mails to the band's members: one per event and member, as each chose, in their
language, and never for test orders."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from disquaire.backstage import member_emails as member_emails_module
from disquaire.backstage.member_emails import (
    daily_summaries_send,
    member_email_settings_save,
    member_emails_retry,
    member_emails_send,
)
from disquaire.backstage.models import MemberEmail, MemberEmailKind
from disquaire.catalog.models import Membership
from disquaire.orders.models import Order
from disquaire.orders.refunds import payment_refund
from disquaire.orders.services import (
    order_flag,
    payment_confirm,
    payment_create,
    payment_fail,
)
from disquaire.selling.models import Offer
from disquaire.storefront.models import TrackPlayDay
from tests.backstage.conftest import Band
from tests.factories import MembershipFactory, TrackFactory, UserFactory
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _membership(band: Band) -> Membership:
    return Membership.objects.get(artist=band.artist, user=band.user)


def _cd(band: Band) -> Offer:
    return OfferFactory(
        release=band.release, kind=Offer.Kind.PHYSICAL, title="Sous la pluie (CD)", price_minor=1200
    )


def _member_mails(address: str) -> list[Any]:
    return [m for m in mail.outbox if m.to == [address]]


def _pay(order: Order, capture: Any, provider: str = "stripe") -> None:
    if provider == "test":
        # As the checkout does: an order made with the test payment is a test order.
        Order.objects.filter(pk=order.pk).update(is_test=True)
        order.refresh_from_db()
    with capture(execute=True):
        payment_confirm(payment=payment_create(order=order, provider=provider))


def test_a_paid_cd_mails_each_member_what_to_post_and_where(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    drummer = UserFactory(email="drums@example.org")
    MembershipFactory(artist=band.artist, user=drummer, role=Membership.Role.MEMBER)
    order = order_for(_cd(band))

    _pay(order, django_capture_on_commit_callbacks)

    for address in (band.user.email, "drums@example.org"):
        (message,) = _member_mails(address)
        assert order.code in message.subject and "to post" in message.subject
        assert "1 × Sous la pluie (CD)" in message.body
        assert "1 rue" in message.body and "Paris" in message.body and "France" in message.body
        assert "€12.00" in message.body
        assert reverse("backstage:order", args=[band.artist.slug, order.code]) in message.body


def test_the_same_event_never_mails_twice(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    order = order_for(_cd(band))
    _pay(order, django_capture_on_commit_callbacks)
    key = f"order-{order.pk}"
    again = member_emails_send(
        kind=MemberEmailKind.NEW_ORDER, key=key, object_id=order.pk, artist_id=band.artist.pk
    )
    assert again == 0
    assert len(_member_mails(band.user.email)) == 1
    assert MemberEmail.objects.filter(key=key).count() == 1


def test_a_member_who_turned_new_orders_off_gets_none(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    drummer = UserFactory(email="drums@example.org")
    quiet = MembershipFactory(artist=band.artist, user=drummer)
    member_email_settings_save(membership=quiet, choices={"new_order": False})

    _pay(order_for(_cd(band)), django_capture_on_commit_callbacks)

    assert _member_mails("drums@example.org") == []
    assert len(_member_mails(band.user.email)) == 1


def test_test_orders_mail_no_member(band: Band, django_capture_on_commit_callbacks: Any) -> None:
    order = order_for(_cd(band))
    _pay(order, django_capture_on_commit_callbacks, provider="test")
    assert _member_mails(band.user.email) == []
    # A declined test payment is no payment problem either.
    other = order_for(_cd(band))
    Order.objects.filter(pk=other.pk).update(is_test=True)
    payment = payment_create(order=other, provider="test")
    with django_capture_on_commit_callbacks(execute=True):
        payment_fail(payment=payment, actor="test provider", reason="declined")
    assert _member_mails(band.user.email) == []


def test_a_free_download_is_left_to_the_daily_summary(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    free = OfferFactory(release=band.release, pricing=Offer.Pricing.FREE, price_minor=0)
    order = order_for(free, price=0)
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirm(payment=payment_create(order=order, provider="free"))
    assert _member_mails(band.user.email) == []


def test_each_member_reads_in_their_own_language(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    member_email_settings_save(membership=_membership(band), choices={"language": "fr"})
    order = order_for(_cd(band))
    _pay(order, django_capture_on_commit_callbacks)
    (message,) = _member_mails(band.user.email)
    assert "Nouvelle commande" in message.subject
    assert "12,00\u00a0€" in message.body and "À envoyer" in message.body


def test_an_event_is_written_once_per_language_not_once_per_member(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    for n in range(3):
        member = UserFactory(email=f"member{n}@example.org")
        MembershipFactory(artist=band.artist, user=member, role=Membership.Role.MEMBER)
    member_email_settings_save(membership=_membership(band), choices={"language": "fr"})
    order = order_for(_cd(band))
    Order.objects.filter(pk=order.pk).update(state="paid")
    built: list[str] = []
    real = member_emails_module.event_for

    def counting(*args: Any) -> Any:
        event = real(*args)

        def build() -> Any:
            built.append("built")
            return event.build()

        return dataclasses.replace(event, build=build)

    with mock.patch.object(member_emails_module, "event_for", counting):
        sent = member_emails_send(
            kind=MemberEmailKind.NEW_ORDER, key=f"order-{order.pk}", object_id=order.pk,
            artist_id=band.artist.pk,
        )  # fmt: skip
    assert sent == 4 and len(built) == 2  # English for three members, French for one


def test_a_refused_payment_and_a_flag_are_payment_problems(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    order = order_for(_cd(band))
    payment = payment_create(order=order, provider="stripe")
    with django_capture_on_commit_callbacks(execute=True):
        payment_fail(payment=payment, actor="stripe", reason="card_declined")
        payment_fail(payment=payment, actor="stripe", reason="card_declined")  # redelivered
    with django_capture_on_commit_callbacks(execute=True):
        order_flag(order=order, note="Paid in the wrong currency.", actor="stripe")
    failed, flagged = _member_mails(band.user.email)
    assert "failed" in failed.subject and "card_declined" in failed.body
    assert "needs your attention" in flagged.subject
    assert "Paid in the wrong currency." in flagged.body


def test_a_buyer_leaving_the_payment_page_is_no_problem(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    payment = payment_create(order=order_for(_cd(band)), provider="stripe")
    with django_capture_on_commit_callbacks(execute=True):
        payment_fail(payment=payment, actor="stripe", canceled=True, reason="session expired")
    assert _member_mails(band.user.email) == []


def test_a_refund_mails_the_members_who_want_refunds(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    order = order_for(_cd(band))
    _pay(order, django_capture_on_commit_callbacks, provider="manual")
    mail.outbox.clear()
    payment = order.payments.get()
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment=payment, amount_minor=500, reason="scratched", actor="band")
    # A manual payment cannot refund by itself: the band must, and is told so.
    (message,) = _member_mails(band.user.email)
    assert "needs your attention" in message.subject

    with (
        mock.patch("disquaire.payments.providers.manual.ManualProvider.refund", return_value="r-1"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        payment_refund(payment=payment, amount_minor=300, reason="late", actor="band")
    refund_mail = _member_mails(band.user.email)[-1]
    assert "€3.00 refunded" in refund_mail.subject and "late" in refund_mail.body

    member_email_settings_save(membership=_membership(band), choices={"refund": False})
    mail.outbox.clear()
    with (
        mock.patch("disquaire.payments.providers.manual.ManualProvider.refund", return_value="r-2"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        payment_refund(payment=payment, amount_minor=100, actor="band")
    assert _member_mails(band.user.email) == []


def test_the_daily_summary_goes_once_in_the_morning_to_who_asked(
    band: Band, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.TIME_ZONE = "UTC"
    member_email_settings_save(membership=_membership(band), choices={"daily_summary": True})
    order = order_for(_cd(band))
    _pay(order, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    yesterday = timezone.now() - timedelta(days=1)
    Order.objects.filter(pk=order.pk).update(paid_at=yesterday)
    TrackPlayDay.objects.create(
        track=TrackFactory(release=band.release), day=yesterday.date(), plays=12
    )
    today = timezone.now().date()
    early = timezone.make_aware(datetime(today.year, today.month, today.day, 5))
    later = early + timedelta(hours=3)

    assert daily_summaries_send(now=early) == 0
    assert daily_summaries_send(now=later) == 1
    assert daily_summaries_send(now=later + timedelta(minutes=1)) == 0
    (message,) = _member_mails(band.user.email)
    assert ": 1 orders, " in message.subject
    assert "12 plays" in message.body and "1 order to ship" in message.body


def test_a_failed_sending_is_tried_again_later_and_then_sent_once(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    order = order_for(_cd(band))
    with mock.patch(
        "disquaire.backstage.member_emails.EmailMessage.send", side_effect=OSError("down")
    ):
        _pay(order, django_capture_on_commit_callbacks)
    row = MemberEmail.objects.get(key=f"order-{order.pk}")
    assert row.sent_at is None and row.attempts == 1 and "down" in row.error
    assert _member_mails(band.user.email) == []

    assert member_emails_retry(now=timezone.now()) == 0  # not yet due
    assert member_emails_retry(now=timezone.now() + timedelta(minutes=6)) == 1
    assert member_emails_retry(now=timezone.now() + timedelta(minutes=30)) == 0
    assert len(_member_mails(band.user.email)) == 1


def test_each_member_chooses_their_emails_in_the_backstage(band: Band) -> None:
    url = reverse("backstage:member_emails", kwargs={"artist": band.artist.slug})
    page = band.client.get(url).content.decode()
    checked = set(re.findall(r'<input type="checkbox" name="(\w+)"[^>]*\bchecked', page))
    assert checked == {"new_order", "payment_problem", "refund"}  # the defaults
    response = band.client.post(url, {"refund": "on", "language": "fr"})
    assert response.status_code == 302
    prefs = _membership(band).email_settings  # type: ignore[attr-defined]
    assert (prefs.new_order, prefs.refund, prefs.daily_summary, prefs.language) == (
        False,
        True,
        False,
        "fr",
    )
    refused = band.client.post(url, {"language": "klingon"})
    assert refused.status_code == 200
    prefs.refresh_from_db()
    assert prefs.language == "fr"


def test_a_stranger_cannot_change_another_bands_emails(band: Band, stranger: Band) -> None:
    url = reverse("backstage:member_emails", kwargs={"artist": band.artist.slug})
    assert stranger.client.post(url, {"language": "fr"}).status_code == 404


def _member_tasks(order: Order) -> int:
    from django_tasks_db.models import DBTaskResult

    return sum(
        1
        for task in DBTaskResult.objects.all()
        if task.task_path.endswith("member_emails_task")
        and task.args_kwargs["kwargs"].get("key") == f"order-{order.pk}"
    )


def test_the_new_order_e_mail_is_queued_with_the_sale_and_never_for_a_sale_rolled_back(
    band: Band, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    order = order_for(_cd(band))
    payment = payment_create(order=order, provider="stripe")
    with pytest.raises(RuntimeError), transaction.atomic():
        payment_confirm(payment=payment)
        raise RuntimeError("the sale fails after the order was paid")
    assert _member_tasks(order) == 0

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        payment_confirm(payment=payment)
    assert _member_tasks(order) == 1
    assert callbacks == []  # queued in the sale's own transaction, nothing after it
