"""PostgreSQL connections: row-lock waits bounded, statements prepared on the server."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_every_connection_waits_for_a_row_lock_at_most_the_configured_time() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        shown = cursor.fetchone()[0]
    assert shown == f"{settings.DB_LOCK_TIMEOUT_SECONDS}s"


def test_every_connection_gives_up_connecting_after_the_configured_time() -> None:
    connection.ensure_connection()
    assert connection.connection.info.get_parameters()["connect_timeout"] == "10"


def test_statements_are_bound_on_the_server_and_prepared_after_repeats() -> None:
    from disquaire.catalog.models import Artist

    for _ in range(settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] + 1):
        list(Artist.objects.filter(slug="x"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] >= 1


def test_the_health_check_asks_the_server_only_after_a_pause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import connections

    from disquaire.core.postgresql import base

    wrapper = connections["default"]
    assert isinstance(wrapper, base.DatabaseWrapper)
    asked: list[int] = []
    is_usable = wrapper.is_usable

    def counting() -> bool:
        asked.append(1)
        return is_usable()

    monkeypatch.setattr(wrapper, "is_usable", counting)
    monkeypatch.setitem(wrapper.settings_dict, "CONN_HEALTH_CHECKS", True)

    def request() -> None:
        # What Django's close_old_connections() does to a kept connection as a request
        # starts (not called here: it would close the test's own transaction).
        wrapper.health_check_done = False
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")

    request()
    request()
    assert asked == []  # used a moment ago: no round trip
    monkeypatch.setattr(base, "RECENT_SECONDS", 0.0)
    request()
    assert asked == [1]  # after a pause, Django's check
