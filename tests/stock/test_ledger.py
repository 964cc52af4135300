"""The ledger and its balances: each movement is one immutable row, balances follow."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from disquaire.stock import selectors, services
from disquaire.stock.errors import LedgerImmutable, StockError
from disquaire.stock.models import Balance, Movement, Place, Reason
from tests.factories import ArtistFactory, UserFactory
from tests.stock.factories import ItemFactory, PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cd():  # type: ignore[no-untyped-def]
    return ItemFactory()


def test_received_units_arrive_at_home_and_moves_follow(cd) -> None:  # type: ignore[no-untyped-def]
    home = services.place_default(artist=cd.artist)
    bag = PlaceFactory(artist=cd.artist, kind=Place.Kind.BAG, name="Van")
    services.movement_record(item=cd, quantity=300, reason=Reason.RECEIVED, to_place=home)
    services.movement_record(
        item=cd, quantity=40, reason=Reason.MOVED, from_place=home, to_place=bag
    )
    services.movement_record(item=cd, quantity=3, reason=Reason.SOLD_TABLE, from_place=bag)
    assert selectors.balance(item=cd, place=home) == 260
    assert selectors.balance(item=cd, place=bag) == 37
    assert selectors.balances(artist=cd.artist) == {(cd.pk, home.pk): 260, (cd.pk, bag.pk): 37}
    assert [m.reason for m in selectors.ledger(artist=cd.artist)] == [
        Reason.SOLD_TABLE,
        Reason.MOVED,
        Reason.RECEIVED,
    ]
    assert selectors.ledger(artist=cd.artist, place=bag).count() == 2
    assert selectors.ledger(artist=cd.artist, reason=Reason.MOVED).count() == 1


def test_place_default_is_one_home_made_once(cd) -> None:  # type: ignore[no-untyped-def]
    first = services.place_default(artist=cd.artist)
    assert first.kind == Place.Kind.HOME and first.is_default
    assert services.place_default(artist=cd.artist) == first


@pytest.mark.parametrize("quantity", [0, -1, True, 1.5])
def test_quantities_not_above_zero_are_refused(cd, quantity) -> None:  # type: ignore[no-untyped-def]
    home = services.place_default(artist=cd.artist)
    with pytest.raises(StockError):
        services.movement_record(item=cd, quantity=quantity, reason=Reason.RECEIVED, to_place=home)
    assert not Movement.objects.exists()


def test_moving_more_than_a_place_holds_is_refused_and_writes_nothing(cd) -> None:  # type: ignore[no-untyped-def]
    home = services.place_default(artist=cd.artist)
    bag = PlaceFactory(artist=cd.artist, kind=Place.Kind.BAG)
    services.movement_record(item=cd, quantity=5, reason=Reason.RECEIVED, to_place=home)
    with pytest.raises(StockError, match="has only 5"):
        services.movement_record(
            item=cd, quantity=6, reason=Reason.MOVED, from_place=home, to_place=bag
        )
    assert Movement.objects.count() == 1
    assert selectors.balance(item=cd, place=home) == 5
    assert selectors.balance(item=cd, place=bag) == 0


def test_places_must_fit_the_reason_and_the_artist(cd) -> None:  # type: ignore[no-untyped-def]
    home = services.place_default(artist=cd.artist)
    elsewhere = PlaceFactory(artist=ArtistFactory())
    bag = PlaceFactory(artist=cd.artist, kind=Place.Kind.BAG)
    with pytest.raises(StockError):
        services.movement_record(item=cd, quantity=1, reason=Reason.RECEIVED, to_place=elsewhere)
    with pytest.raises(StockError):
        services.movement_record(item=cd, quantity=1, reason=Reason.MOVED, to_place=home)
    with pytest.raises(StockError):
        services.movement_record(item=cd, quantity=1, reason=Reason.RECEIVED, from_place=home)
    with pytest.raises(StockError):
        services.movement_record(
            item=cd, quantity=1, reason=Reason.CONSIGNED, from_place=home, to_place=bag
        )
    with pytest.raises(StockError):
        services.movement_record(item=cd, quantity=1, reason="stolen", to_place=home)
    assert not Movement.objects.exists()


def test_a_count_records_the_difference_and_never_rewrites_history(cd) -> None:  # type: ignore[no-untyped-def]
    home = services.place_default(artist=cd.artist)
    user = UserFactory()
    services.movement_record(item=cd, quantity=300, reason=Reason.RECEIVED, to_place=home)
    missing = services.count_record(item=cd, place=home, counted=296, actor=user, note="box")
    assert missing is not None
    assert (missing.reason, missing.quantity, missing.from_place, missing.to_place) == (
        Reason.COUNTED,
        4,
        home,
        None,
    )
    assert missing.actor == user and missing.reference_type == "count"
    assert services.count_record(item=cd, place=home, counted=296) is None
    found = services.count_record(item=cd, place=home, counted=297)
    assert found is not None and found.to_place == home and found.quantity == 1
    assert selectors.balance(item=cd, place=home) == 297
    assert Movement.objects.filter(reason=Reason.RECEIVED, quantity=300).exists()
    with pytest.raises(StockError):
        services.count_record(item=cd, place=home, counted=-1)


def test_a_count_below_what_checkouts_hold_is_refused(cd) -> None:  # type: ignore[no-untyped-def]
    home = services.place_default(artist=cd.artist)
    services.movement_record(item=cd, quantity=10, reason=Reason.RECEIVED, to_place=home)

    def holds(item_ids: list[int], place: Place) -> dict[int, int]:
        return {cd.pk: 4} if place == home else {}

    services._held_counters.append(holds)
    try:
        with pytest.raises(StockError, match="hold 4"):
            services.count_record(item=cd, place=home, counted=3)
        bag = PlaceFactory(artist=cd.artist, kind=Place.Kind.BAG)
        with pytest.raises(StockError, match="6 can leave"):
            services.movement_record(
                item=cd, quantity=7, reason=Reason.MOVED, from_place=home, to_place=bag
            )
        # The sale of held units takes them.
        services.movement_record(item=cd, quantity=10, reason=Reason.SOLD_ONLINE, from_place=home)
    finally:
        services._held_counters.remove(holds)
    assert selectors.balance(item=cd, place=home) == 0


def test_ledger_rows_cannot_be_changed_or_deleted(cd) -> None:  # type: ignore[no-untyped-def]
    home = services.place_default(artist=cd.artist)
    row = services.movement_record(item=cd, quantity=3, reason=Reason.RECEIVED, to_place=home)
    row.quantity = 30
    with pytest.raises(LedgerImmutable):
        row.save()
    with pytest.raises(LedgerImmutable):
        row.delete()
    with pytest.raises(LedgerImmutable):
        Movement.objects.filter(pk=row.pk).update(quantity=30)
    with pytest.raises(LedgerImmutable):
        Movement.objects.all().delete()
    with pytest.raises(LedgerImmutable):
        Movement.objects.bulk_update([row], ["quantity"])
    assert Movement.objects.get().quantity == 3
    assert Balance.objects.get().quantity == 3


def test_deleting_the_user_keeps_their_rows(cd) -> None:  # type: ignore[no-untyped-def]
    home = services.place_default(artist=cd.artist)
    user = UserFactory()
    services.movement_record(item=cd, quantity=3, reason=Reason.RECEIVED, to_place=home, actor=user)
    user.delete()
    assert Movement.objects.get().actor is None


@pytest.mark.postgres
def test_the_database_itself_refuses_to_change_a_ledger_row(cd) -> None:  # type: ignore[no-untyped-def]
    home = services.place_default(artist=cd.artist)
    row = services.movement_record(item=cd, quantity=3, reason=Reason.RECEIVED, to_place=home)
    table = Movement._meta.db_table

    for sql in (
        f"UPDATE {table} SET quantity = 30 WHERE id = %s",  # noqa: S608
        f"DELETE FROM {table} WHERE id = %s",  # noqa: S608
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [row.pk])
    assert Movement.objects.get().quantity == 3
