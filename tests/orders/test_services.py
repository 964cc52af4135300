from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from disquaire.orders.models import (
    ORDER_TRANSITIONS,
    EditionCounter,
    EditionUnit,
    Order,
    OrderState,
    Payment,
    PaymentState,
    Refund,
    Reservation,
)
from disquaire.orders.selectors import order_line_unlocked, order_page_path, units_left
from disquaire.orders.services import (
    SoldOut,
    TransitionError,
    order_cancel,
    order_fulfil,
    order_paid_free,
    payment_confirm,
    payment_create,
    payment_fail,
    payment_manual_mark_paid,
    payment_refund,
    reservations_expire,
)
from disquaire.selling.models import Offer
from tests.factories import ReleaseFactory
from tests.shop.factories import OfferFactory, OfferOptionFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db


def paid(order: Any, provider: str = "test") -> Payment:
    return payment_confirm(payment=payment_create(order=order, provider=provider))


def test_order_holds_units_and_refuses_more_than_are_left() -> None:
    offer = OfferFactory(stock=3)
    order_for(offer, quantity=2)
    assert units_left(offer=offer) == 1
    with pytest.raises(SoldOut, match="Only 1"):
        order_for(offer, quantity=2)
    assert Reservation.objects.count() == 1  # nothing leaked by the refused order


def test_each_option_has_its_own_stock() -> None:
    small = OfferOptionFactory(stock=1)
    large = OfferOptionFactory(offer=small.offer, stock=5)
    order_for(small.offer, option=small)
    with pytest.raises(SoldOut):
        order_for(small.offer, option=small)
    order_for(small.offer, option=large, quantity=5)
    assert units_left(offer=small.offer, option=large) == 0


def test_confirmed_payment_marks_the_order_paid_once_with_audit_and_receipt(
    django_capture_on_commit_callbacks: Any,
) -> None:
    order = order_for(OfferFactory(stock=5))
    payment = payment_create(order=order, provider="test")
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirm(payment=payment)
        payment_confirm(payment=payment)  # a second notification: quiet no-op
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert Reservation.objects.get().state == Reservation.State.CONSUMED
    actions = list(order.audit_entries.values_list("action", flat=True))
    assert actions.count("order.paid") == 1 and actions.count("payment.confirm") == 1
    assert len(mail.outbox) == 1
    receipt = mail.outbox[0]
    assert order.code in receipt.subject
    assert order_page_path(order) in receipt.body
    assert receipt.alternatives and "text/html" in receipt.alternatives[0][1]


def test_numbered_edition_gives_each_buyer_the_next_number_on_the_receipt(
    django_capture_on_commit_callbacks: Any,
) -> None:
    offer = OfferFactory(stock=250, numbered=True, kind=Offer.Kind.PHYSICAL)
    EditionCounter.objects.create(offer=offer, issued=36)  # 36 numbered before
    order = order_for(offer)
    with django_capture_on_commit_callbacks(execute=True):
        paid(order)
    line = order.lines.get()
    assert line.edition_numbers == [37]
    assert "37" in mail.outbox[0].body
    two = order_for(offer, quantity=2)
    paid(two)
    assert two.lines.get().edition_numbers == [38, 39]
    assert list(EditionUnit.objects.values_list("number", flat=True)) == [37, 38, 39]


def test_reservations_expire_free_the_units_and_expire_the_order() -> None:
    offer = OfferFactory(stock=1)
    order = order_for(offer)
    assert units_left(offer=offer) == 0
    assert reservations_expire(now=timezone.now() + dt.timedelta(minutes=31)) == 1
    order.refresh_from_db()
    assert order.state == OrderState.EXPIRED
    assert units_left(offer=offer) == 1
    assert reservations_expire(now=timezone.now() + dt.timedelta(minutes=31)) == 0


def test_late_payment_is_kept_when_the_units_are_still_there() -> None:
    offer = OfferFactory(stock=1)
    order = order_for(offer)
    reservations_expire(now=timezone.now() + dt.timedelta(minutes=31))
    paid(order)
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert units_left(offer=offer) == 0


def test_late_payment_after_sell_out_is_refunded_and_the_unit_not_sold_twice() -> None:
    offer = OfferFactory(stock=1, numbered=True)
    late = order_for(offer)
    reservations_expire(now=timezone.now() + dt.timedelta(minutes=31))
    paid(order_for(offer))  # someone else buys the freed unit
    payment = paid(late)
    late.refresh_from_db()
    assert late.state == OrderState.CANCELLED
    assert payment.state == PaymentState.REFUNDED
    assert Refund.objects.get(payment=payment).state == Refund.State.DONE
    assert EditionUnit.objects.count() == 1
    assert units_left(offer=offer) == 0


def test_late_manual_payment_after_sell_out_is_flagged_for_the_band() -> None:
    offer = OfferFactory(stock=1)
    late = order_for(offer)
    payment = payment_create(order=late, provider="manual")
    reservations_expire(now=timezone.now() + dt.timedelta(minutes=31))
    paid(order_for(offer))
    payment_manual_mark_paid(payment=payment, actor="band@example.org")
    late.refresh_from_db()
    payment.refresh_from_db()
    assert late.state == OrderState.CANCELLED
    assert late.needs_attention and "by hand" in late.attention_note
    assert payment.state == PaymentState.CONFIRMED
    assert Refund.objects.get(payment=payment).state == Refund.State.MANUAL


def test_free_order_is_paid_at_once() -> None:
    order = order_for(OfferFactory(pricing=Offer.Pricing.FREE, price_minor=0))
    payment = order_paid_free(order=order)
    order.refresh_from_db()
    assert order.state == OrderState.PAID and payment.state == PaymentState.CONFIRMED


def test_declined_payment_keeps_the_order_pending_and_its_hold() -> None:
    offer = OfferFactory(stock=1)
    order = order_for(offer)
    payment = payment_create(order=order, provider="test")
    payment_fail(payment=payment, actor="test")
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.state == PaymentState.FAILED
    assert order.state == OrderState.PENDING and units_left(offer=offer) == 0


def test_transitions_outside_the_table_are_refused() -> None:
    order = order_for(OfferFactory())
    with pytest.raises(TransitionError):
        order_fulfil(order=order, actor="band")
    order_cancel(order=order, actor="band")
    with pytest.raises(TransitionError):
        order_cancel(order=order, actor="band")
    assert ORDER_TRANSITIONS[OrderState.REFUNDED] == frozenset()


def test_cancel_frees_the_units() -> None:
    offer = OfferFactory(stock=1)
    order_cancel(order=order_for(offer), actor="band")
    assert units_left(offer=offer) == 1


def test_refund_of_a_paid_order_moves_both_states_and_is_audited() -> None:
    order = order_for(OfferFactory())
    payment = paid(order)
    payment_refund(payment=payment, reason="asked", actor="band")
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.state == OrderState.REFUNDED and payment.state == PaymentState.REFUNDED
    assert order.audit_entries.filter(action="order.refund").exists()


def test_second_payment_of_a_paid_order_is_refunded() -> None:
    order = order_for(OfferFactory())
    paid(order)
    second = paid(order)
    assert second.state == PaymentState.REFUNDED


def test_fulfilled_after_paid() -> None:
    order = order_for(OfferFactory(kind=Offer.Kind.PHYSICAL))
    paid(order)
    order_fulfil(order=order, actor="band")
    order.refresh_from_db()
    assert order.state == OrderState.FULFILLED


def test_preorder_downloads_unlock_on_release_day() -> None:
    release = ReleaseFactory(release_date=timezone.localdate() + dt.timedelta(days=10))
    order = order_for(OfferFactory(release=release))
    line = order.lines.get()
    assert not order_line_unlocked(line)  # not paid yet
    paid(order)
    order.refresh_from_db()
    line = order.lines.get()
    assert not order_line_unlocked(line)
    release.release_date = timezone.localdate()
    release.save()
    line = order.lines.select_related("release", "order").get()
    assert order_line_unlocked(line)


def test_merch_only_line_has_nothing_to_unlock() -> None:
    order = order_for(OfferFactory(kind=Offer.Kind.PHYSICAL))
    paid(order)
    assert not order_line_unlocked(order.lines.get())


def test_order_page_needs_the_secret(client: Client) -> None:
    offer = OfferFactory(numbered=True, stock=10)
    order = order_for(offer)
    paid(order)
    page = client.get(order_page_path(order))
    assert page.status_code == 200
    assert b"Edition number 1" in page.content
    assert client.get(f"/orders/{order.code}/wrong-secret/").status_code == 404


def test_refund_interrupted_by_a_crash_is_carried_out_by_the_retry_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from disquaire.orders.services import refunds_retry_pending
    from disquaire.payments.providers.test import TestProvider

    offer = OfferFactory(stock=1)
    late = order_for(offer)
    reservations_expire(now=timezone.now() + dt.timedelta(minutes=31))
    paid(order_for(offer))
    payment = payment_create(order=late, provider="test")

    def crash(self: Any, payment: Payment, amount: int, **kw: Any) -> str:
        raise RuntimeError("worker killed mid-call")

    monkeypatch.setattr(TestProvider, "refund", crash)
    with pytest.raises(RuntimeError):
        payment_confirm(payment=payment)
    refund = Refund.objects.get(payment=payment)
    assert refund.state == Refund.State.PENDING  # the decision survived the crash
    monkeypatch.undo()
    payment_confirm(payment=payment)  # a redelivery finishes it
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.state == Refund.State.DONE and payment.state == PaymentState.REFUNDED
    assert refunds_retry_pending(older_than_seconds=0) == 0
    assert Refund.objects.filter(payment=payment).count() == 1


def test_pending_refunds_are_retried_by_the_periodic_job() -> None:
    from disquaire.orders.services import refunds_retry_pending

    order = order_for(OfferFactory())
    payment = paid(order)
    Refund.objects.create(
        payment=payment, amount_minor=payment.amount_minor, state=Refund.State.PENDING
    )
    assert refunds_retry_pending(older_than_seconds=0) == 1
    payment.refresh_from_db()
    assert payment.state == PaymentState.REFUNDED


def test_an_offer_given_a_stock_while_checked_out_is_refused_and_nothing_is_written() -> None:
    """Offers without a stock of their own are only share-locked at checkout; if the band
    gave one a stock meanwhile (the buyer's copy still says none), the order is refused
    with a message and rolled back whole, instead of skipping the new limit."""
    from disquaire.orders.errors import StockChanged

    offer = OfferFactory(stock=None)
    Offer.objects.filter(pk=offer.pk).update(stock=1)  # the band's edit, after the read
    assert offer.stock is None
    with pytest.raises(StockChanged, match="just changed"):
        order_for(offer)
    assert not Order.objects.exists() and not Reservation.objects.exists()
    offer.refresh_from_db()
    order_for(offer)  # read again: checked under its own stock
    with pytest.raises(SoldOut):
        order_for(offer)


def test_an_option_given_a_stock_while_checked_out_is_refused_too() -> None:
    from disquaire.orders.errors import StockChanged
    from disquaire.selling.models import OfferOption

    option = OfferOptionFactory(stock=None, offer__stock=None)
    OfferOption.objects.filter(pk=option.pk).update(stock=0)
    with pytest.raises(StockChanged):
        order_for(option.offer, option=option)
    assert not Order.objects.exists()
