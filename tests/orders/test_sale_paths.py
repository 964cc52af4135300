"""Payment confirmation's two ways of turning holds into sales, and the short checkout.

The usual way writes the sale first and takes the stock rows last (only numbered
editions need them); a hold close to expiry, or lapsed, goes the careful way (rows
locked first, holds counted again); a confirmation so slow that a hold expired while it
ran is rolled back whole.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from disquaire.core.models import ActivityEntry
from disquaire.orders import stock
from disquaire.orders.models import (
    EditionUnit,
    Order,
    OrderState,
    Payment,
    PaymentState,
    Reservation,
)
from disquaire.orders.services import (
    LineSpec,
    SoldOut,
    order_create_paying,
    payment_confirm,
    payment_create,
    payment_started,
)
from disquaire.orders.stock import HOLD_MARGIN, HoldLapsed
from disquaire.orders.transitions import audit_batch, audit_log
from disquaire.selling.models import Offer
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db


def _confirm(order: Order) -> Payment:
    return payment_confirm(payment=payment_create(order=order, provider="test"))


def test_a_valid_hold_is_sold_without_locking_the_stock_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    offer = OfferFactory(stock=5, numbered=True, kind=Offer.Kind.PHYSICAL)
    order = order_for(offer, quantity=2)
    careful: list[object] = []
    original = stock.reservations_consume
    monkeypatch.setattr(
        "disquaire.orders.paying.reservations_consume",
        lambda o: careful.append(o) or original(o),
    )

    assert _confirm(order).state == PaymentState.CONFIRMED

    assert careful == []
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert order.lines.get().edition_numbers == [1, 2]
    assert Reservation.objects.get().state == Reservation.State.CONSUMED


def test_a_hold_about_to_expire_goes_the_careful_way(monkeypatch: pytest.MonkeyPatch) -> None:
    offer = OfferFactory(stock=5, numbered=True, kind=Offer.Kind.PHYSICAL)
    order = order_for(offer)
    soon = timezone.now() + HOLD_MARGIN / 2
    Reservation.objects.update(expires_at=soon)
    careful: list[object] = []
    original = stock.reservations_consume
    monkeypatch.setattr(
        "disquaire.orders.paying.reservations_consume",
        lambda o: careful.append(o) or original(o),
    )

    _confirm(order)

    assert careful, "a hold this close to expiry must be counted again under the lock"
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert order.lines.get().edition_numbers == [1]


def _confirm_outlived_by_its_hold(monkeypatch: pytest.MonkeyPatch) -> tuple[Order, Payment]:
    """A confirmation that starts in time, but whose clock reads past the hold by the time
    it ends: it raises HoldLapsed."""
    offer = OfferFactory(stock=5, numbered=True, kind=Offer.Kind.PHYSICAL)
    order = order_for(offer)
    payment = payment_create(order=order, provider="test")
    expires = Reservation.objects.get().expires_at
    monkeypatch.setattr(
        stock, "timezone", SimpleNamespace(now=lambda: expires + dt.timedelta(seconds=1))
    )
    with pytest.raises(HoldLapsed):
        payment_confirm(payment=payment)
    monkeypatch.undo()
    return order, payment


def test_a_confirmation_outlived_by_its_hold_is_rolled_back_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order, payment = _confirm_outlived_by_its_hold(monkeypatch)

    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.state == OrderState.PENDING
    assert payment.state == PaymentState.CREATED
    assert Reservation.objects.get().state == Reservation.State.ACTIVE
    assert not EditionUnit.objects.exists()
    offer = Reservation.objects.get().offer
    assert offer.numbers_issued == 0
    # A later delivery of the same confirmation (a webhook retried) sells it properly.
    assert payment_confirm(payment=payment).state == PaymentState.CONFIRMED
    order.refresh_from_db()
    assert order.state == OrderState.PAID


def test_order_and_payment_are_created_together_or_not_at_all() -> None:
    offer = OfferFactory(stock=1)
    spec: dict[str, Any] = {
        "artist": offer.artist,
        "email": "fan@example.org",
        "lines": [LineSpec(offer=offer, option=None, quantity=1, unit_price_minor=500)],
    }
    order, payment = order_create_paying(provider="test", **spec)
    assert payment.order_id == order.pk and payment.state == PaymentState.CREATED
    assert set(order.audit_entries.values_list("action", flat=True)) == {
        "order.create",
        "payment.create",
    }

    with pytest.raises(SoldOut):
        order_create_paying(provider="test", **spec)

    assert Order.objects.count() == 1 and Payment.objects.count() == 1


def test_payment_started_moves_once_and_audits_once() -> None:
    order = order_for(OfferFactory())
    payment = payment_create(order=order, provider="test")

    payment_started(payment=payment, provider_ref="ref-1")
    payment_started(payment=Payment.objects.get(pk=payment.pk), provider_ref="ref-2")

    payment.refresh_from_db()
    assert (payment.state, payment.provider_ref) == (PaymentState.PENDING, "ref-1")
    started = ActivityEntry.objects.filter(action="payment.start")
    assert started.count() == 1
    entry = started.get()
    assert (entry.order_id, entry.artist_id) == (order.pk, order.artist_id)
    assert (entry.before, entry.after) == (
        {"state": PaymentState.CREATED},
        {"provider_ref": "ref-1", "state": PaymentState.PENDING},
    )


def test_a_provider_whose_page_is_ours_gets_a_pending_payment_in_the_same_commit() -> None:
    offer = OfferFactory(stock=3)
    order, payment = order_create_paying(
        provider="test",
        started=True,
        artist=offer.artist,
        email="fan@example.org",
        lines=[LineSpec(offer=offer, option=None, quantity=1, unit_price_minor=500)],
    )

    payment.refresh_from_db()
    assert (payment.state, payment.provider_ref) == (PaymentState.PENDING, f"test-{order.code}")
    actions = [(e.action, e.before.get("state"), e.after.get("state")) for e in order.audit_entries]
    assert actions == [
        ("order.create", None, OrderState.PENDING),
        ("payment.create", None, PaymentState.CREATED),
        ("payment.start", PaymentState.CREATED, PaymentState.PENDING),
    ]


def test_audit_entries_of_a_batch_are_written_together_or_rolled_back_together() -> None:
    order = order_for(OfferFactory())
    before = ActivityEntry.objects.count()

    with transaction.atomic(), audit_batch() as flush:
        audit_log(action="test.one", obj=order, order=order)
        audit_log(action="test.two", obj=order, order=order)
        assert ActivityEntry.objects.count() == before  # waiting for the end of the batch
        flush()
        assert ActivityEntry.objects.count() == before + 2
        audit_log(action="test.three", obj=order, order=order)
    assert ActivityEntry.objects.count() == before + 3

    with pytest.raises(RuntimeError), transaction.atomic(), audit_batch():
        audit_log(action="test.lost", obj=order, order=order)
        raise RuntimeError("the sale failed")
    assert not ActivityEntry.objects.filter(action="test.lost").exists()
    # Outside a batch, each entry is written at once.
    audit_log(action="test.alone", obj=order, order=order)
    assert ActivityEntry.objects.filter(action="test.alone").exists()


@pytest.fixture
def tasks_in_the_database(settings: Any) -> None:
    """The production task backend (this folder's tests run tasks at once otherwise)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _receipt_tasks(order: Order) -> int:
    from django_tasks_db.models import DBTaskResult

    return sum(
        1
        for task in DBTaskResult.objects.all()
        if task.task_path.endswith("order_receipt_task")
        and task.args_kwargs["kwargs"].get("order_id") == order.pk
    )


def test_the_receipt_is_queued_in_the_sale_s_own_transaction(
    tasks_in_the_database: None, django_capture_on_commit_callbacks: Any
) -> None:
    offer = OfferFactory(stock=5, numbered=True, kind=Offer.Kind.PHYSICAL)
    order = order_for(offer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _confirm(order)
    assert _receipt_tasks(order) == 1  # written with the sale, not after its commit
    assert callbacks == []


def test_a_sale_rolled_back_queues_no_receipt(
    tasks_in_the_database: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    order, _payment = _confirm_outlived_by_its_hold(monkeypatch)
    assert _receipt_tasks(order) == 0


def test_the_careful_way_queues_the_receipt_after_the_commit(
    tasks_in_the_database: None, django_capture_on_commit_callbacks: Any
) -> None:
    offer = OfferFactory(stock=5, numbered=True, kind=Offer.Kind.PHYSICAL)
    order = order_for(offer)
    Reservation.objects.update(expires_at=timezone.now() + HOLD_MARGIN / 2)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _confirm(order)
    assert len(callbacks) == 1 and _receipt_tasks(order) == 1
