"""core.queries.Compiled: compiled once, then rows exactly as the ORM gives them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from disquaire.catalog.models import Artist
from disquaire.core.queries import Compiled
from disquaire.selling.models import Offer, OfferOption
from tests.factories import ArtistFactory, ReleaseFactory, TrackFactory
from tests.shop.factories import OfferFactory, OfferOptionFactory

pytestmark = pytest.mark.django_db


def _offers() -> Any:
    return (
        Offer.objects.select_related("artist", "release", "track__release")
        .only(
            "title",
            "price_minor",
            "artist__slug",
            "release__title",
            "release__release_date",
            "track__release__slug",
        )
        .annotate(has_options=Exists(OfferOption.objects.filter(offer=OuterRef("pk"))))
    )


ONE = Compiled(lambda pk: _offers().filter(pk=pk).order_by()[:1])
MANY = Compiled(lambda pks: _offers().filter(pk__in=pks).order_by("pk"))
BY_SLUG = Compiled(lambda slug: Artist.objects.filter(slug=slug).order_by()[:1])


def _seen(offer: Offer) -> tuple[Any, ...]:
    """What a reader of the offer sees, related objects and the annotation included."""
    track_release = offer.track.release.slug if offer.track else None
    return (
        offer.pk,
        offer.title,
        offer.price_minor,
        offer.artist.slug,
        offer.release.title if offer.release else None,
        # Values as the database converters make them (a date, a bool), not as stored.
        repr(offer.release.release_date) if offer.release else None,
        track_release,
        repr(offer.has_options),  # type: ignore[attr-defined]
    )


def test_rows_are_the_orm_s_for_every_value() -> None:
    plain = OfferFactory(release=ReleaseFactory(release_date=datetime.date(2026, 5, 1)))
    with_option = OfferOptionFactory().offer
    of_track = OfferFactory(release=None, track=TrackFactory(), artist=ArtistFactory())
    for offer in (plain, with_option, of_track):
        expected = _offers().get(pk=offer.pk)
        found = ONE.one(pk=offer.pk)
        assert found is not None and _seen(found) == _seen(expected)
    assert ONE.one(pk=of_track.pk + 1000) is None
    assert [_seen(o) for o in MANY.all(pks=[with_option.pk, plain.pk])] == [
        _seen(o) for o in _offers().filter(pk__in=[plain.pk, with_option.pk]).order_by("pk")
    ]


def test_related_objects_come_with_the_row_and_strings_pass_through() -> None:
    offer = OfferFactory(release=None, track=TrackFactory(), artist=ArtistFactory(slug="zorba"))
    found = ONE.one(pk=offer.pk)
    assert found is not None
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        assert found.track is not None and found.track.release.slug == offer.track.release.slug
        assert found.artist.slug == "zorba"
    assert len(queries) == 0
    artist = BY_SLUG.one(slug="zorba")
    assert artist is not None and artist.pk == offer.artist_id
    assert BY_SLUG.one(slug="nobody") is None


def test_compiled_at_the_first_run_only(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = OfferFactory(), OfferFactory()
    query = Compiled(lambda pk: _offers().filter(pk=pk).order_by()[:1])
    compiled: list[int] = []
    as_sql = SQLCompiler.as_sql

    def counting(self: SQLCompiler, *args: Any, **kwargs: Any) -> Any:
        compiled.append(1)
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    found = query.one(pk=first.pk)
    assert found is not None and found.pk == first.pk
    assert compiled  # the first run compiles
    compiled.clear()
    found = query.one(pk=second.pk)
    assert found is not None and found.pk == second.pk and found.title == second.title
    assert compiled == []  # the next ones do not


def test_lists_have_a_plan_per_length_and_an_empty_list_asks_nothing() -> None:
    offers = [OfferFactory() for _ in range(3)]
    assert [o.pk for o in MANY.all(pks=[offers[2].pk])] == [offers[2].pk]
    assert [o.pk for o in MANY.all(pks=[o.pk for o in offers])] == [o.pk for o in offers]
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        assert MANY.all(pks=[]) == []
    assert len(queries) == 0


def test_a_value_the_sql_does_not_carry_as_given_is_refused() -> None:
    # icontains sends "%value%": a plan could not put a new value in its place.
    query = Compiled(lambda name: Artist.objects.filter(name__icontains=name))
    with pytest.raises(ValueError, match="not passed through"):
        query.all(name="Bijoux")
    with pytest.raises(TypeError):
        Compiled(lambda flag: Offer.objects.filter(active=flag)).all(flag=True)


@pytest.mark.django_db(transaction=True)  # outside the test's own transaction
def test_locking_reads_still_need_a_transaction() -> None:
    offer = OfferFactory()
    locked = Compiled(lambda pk: Offer.objects.select_for_update().filter(pk=pk))
    with transaction.atomic():
        assert [o.pk for o in locked.all(pk=offer.pk)] == [offer.pk]
    if transaction.get_connection().features.has_select_for_update:
        with pytest.raises(TransactionManagementError):
            locked.all(pk=offer.pk)


def test_insert_rows_writes_what_bulk_create_writes_in_one_statement() -> None:
    from disquaire.core.queries import insert_rows
    from disquaire.orders.models import AuditEntry

    def entries(actor: str) -> list[AuditEntry]:
        return [
            AuditEntry(action="order.create", object_type="order", object_id="7", actor=actor),
            AuditEntry(
                action="order.paid",
                object_type="order",
                object_id="7",
                actor=actor,
                from_state="pending",
                to_state="paid",
                data={"total_minor": 1200, "note": "l'été"},
            ),
        ]

    AuditEntry.objects.bulk_create(entries("orm"))
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        insert_rows(entries("rows"))
    assert len(queries) == 1
    fields = ("action", "object_type", "object_id", "from_state", "to_state", "data")
    by_orm = list(AuditEntry.objects.filter(actor="orm").order_by("pk").values_list(*fields))
    by_rows = list(AuditEntry.objects.filter(actor="rows").order_by("pk").values_list(*fields))
    assert by_rows == by_orm and by_rows[1][-1] == {"total_minor": 1200, "note": "l'été"}
    assert all(e.created_at is not None for e in AuditEntry.objects.filter(actor="rows"))
    insert_rows([])  # nothing to write, no statement


def test_save_fields_is_save_with_update_fields_in_one_statement() -> None:
    import datetime as dt

    from django.db import DatabaseError
    from django.db.models.signals import post_save, pre_save

    from disquaire.core.queries import save_fields
    from disquaire.orders.models import Order
    from disquaire.orders.services import LineSpec, order_create

    offer = OfferFactory()
    order = order_create(
        artist=offer.artist,
        email="fan@example.org",
        lines=[LineSpec(offer=offer, option=None, quantity=1, unit_price_minor=500)],
    )
    Order.objects.filter(pk=order.pk).update(updated_at=order.updated_at - dt.timedelta(days=1))
    order.refresh_from_db()
    before = order.updated_at
    seen: list[tuple[str, frozenset[str] | None, bool | None]] = []

    def pre(sender: Any, instance: Any, update_fields: Any, **kw: Any) -> None:
        if sender is Order:
            seen.append(("pre", update_fields, None))

    def post(sender: Any, instance: Any, update_fields: Any, created: bool, **kw: Any) -> None:
        if sender is Order:
            seen.append(("post", update_fields, created))

    pre_save.connect(pre)
    post_save.connect(post)
    try:
        order.needs_attention, order.attention_note = True, "call the fan"
        order.email = "not-saved@example.org"  # not among the fields: stays as it was
        with CaptureQueriesContext(transaction.get_connection()) as queries:
            save_fields(order, ["needs_attention", "attention_note", "updated_at"])
    finally:
        pre_save.disconnect(pre)
        post_save.disconnect(post)
    fields = frozenset({"needs_attention", "attention_note", "updated_at"})
    assert seen == [("pre", fields, None), ("post", fields, False)]
    assert len([q for q in queries if q["sql"].startswith("UPDATE")]) == 1
    stored = Order.objects.get(pk=order.pk)
    assert (stored.needs_attention, stored.attention_note) == (True, "call the fan")
    assert stored.email == "fan@example.org"
    assert stored.updated_at > before  # auto_now, as save() sets it

    Order.objects.filter(pk=order.pk).delete()
    with pytest.raises(DatabaseError):
        save_fields(order, ["needs_attention"])


def test_insert_row_is_save_of_a_new_row_with_its_signals_and_key() -> None:
    from django.db.models.signals import post_save, pre_save

    from disquaire.core.queries import insert_row
    from disquaire.orders.models import Order

    artist = ArtistFactory()
    seen: list[tuple[str, bool | None]] = []

    def pre(sender: Any, instance: Any, **kw: Any) -> None:
        if sender is Order:
            seen.append(("pre", None))

    def post(sender: Any, instance: Any, created: bool, **kw: Any) -> None:
        if sender is Order:
            seen.append(("post", created))

    pre_save.connect(pre)
    post_save.connect(post)
    try:
        by_row = Order(artist=artist, currency="EUR", email="a@example.org", total_minor=900)
        with CaptureQueriesContext(transaction.get_connection()) as queries:
            insert_row(by_row)
        by_save = Order(artist=artist, currency="EUR", email="b@example.org", total_minor=900)
        by_save.save()
    finally:
        pre_save.disconnect(pre)
        post_save.disconnect(post)
    assert seen == [("pre", None), ("post", True)] * 2
    if transaction.get_connection().features.can_return_columns_from_insert:
        assert len(queries) == 1
    assert by_row.pk is not None and not by_row._state.adding
    fields = ("artist_id", "currency", "state", "total_minor", "items_minor", "language")
    stored = Order.objects.values_list(*fields)
    assert stored.get(pk=by_row.pk) == stored.get(pk=by_save.pk)
    row = Order.objects.get(pk=by_row.pk)
    assert row.code == by_row.code and row.secret == by_row.secret and row.created_at


def test_a_value_used_twice_in_the_sql_is_put_in_both_places() -> None:
    from django.db.models import Q

    first = ArtistFactory(slug="first", name="first")
    second = ArtistFactory(slug="second", name="second")
    ArtistFactory(slug="third", name="first")
    twice = Compiled(lambda slug: Artist.objects.filter(Q(slug=slug) & Q(name=slug)))
    assert [a.pk for a in twice.all(slug="first")] == [first.pk]
    assert [a.pk for a in twice.all(slug="second")] == [second.pk]
