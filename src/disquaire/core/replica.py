"""A read replica for the band's reports, and only when it is safe to read one.

With ``DISQUAIRE_DATABASE_REPLICA_URL`` set, a second database alias, ``replica``, points
at a PostgreSQL streaming replica. Nothing goes there by itself: ``PrimaryRouter`` sends
every read and write to the primary, and only the selectors that build stats, reports and
the order search ask for ``reporting_db()`` and read through it. Stock, orders and
payments never do: a replica that lags a second behind would let a unit be sold twice.

A client that has just written something (any request that is not GET, HEAD or OPTIONS)
gets a short-lived cookie; while it lasts, its reports read the primary too, so the band
sees the order it just marked shipped in the next list. Inside a transaction on the
primary, reports read the primary as well (what the transaction wrote is not on the
replica). A replica that cannot be reached is left alone for a while: reports read the
primary meanwhile.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA = "replica"
PIN_COOKIE = "dq_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# After a failed connection, seconds before the replica is tried again.
RETRY_AFTER = 30.0

_pinned: ContextVar[bool] = ContextVar("disquaire_primary_pinned", default=False)
_failed_at: dict[str, float] = {}


class PrimaryRouter:
    """Every query reads and writes the primary; the replica is never migrated or written.

    Rows read through the replica and then saved still go to the primary.
    """

    def db_for_read(self, model: type, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        both = {obj1._state.db, obj2._state.db}
        return True if both <= {DEFAULT_DB_ALIAS, REPLICA} else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def primary_pinned() -> bool:
    return _pinned.get()


def _replica_reachable() -> bool:
    failed = _failed_at.get(REPLICA)
    if failed is not None and time.monotonic() - failed < RETRY_AFTER:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError:
        _failed_at[REPLICA] = time.monotonic()
        logger.warning("the read replica cannot be reached: reports read the primary")
        return False
    _failed_at.pop(REPLICA, None)
    return True


# On a standby, how far its replay is behind: 0 when it has replayed all it received
# (an idle primary sends nothing, and the last replayed transaction only grows older).
_LAG_SQL = (
    "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()"
    " THEN 0 ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
)


def replica_state() -> dict[str, object]:
    """What ``/healthz`` tells of the replica: reachable, a standby, its lag in seconds.

    Tried afresh each time (a monitor must see it come back), with the connection's own
    timeout (``DISQUAIRE_DB_CONNECT_TIMEOUT``).
    """
    wrapper = connections[REPLICA]
    try:
        with wrapper.cursor() as cursor:
            if wrapper.vendor != "postgresql":
                cursor.execute("SELECT 1")
                return {"ok": True, "reachable": True}
            cursor.execute(_LAG_SQL)
            standby, lag = cursor.fetchone()
    except DatabaseError:
        logger.warning("the read replica cannot be reached: reports read the primary")
        wrapper.close()
        return {"ok": False, "reachable": False}
    return {
        "ok": True,
        "reachable": True,
        "standby": bool(standby),
        "lag_seconds": round(float(lag), 3) if standby and lag is not None else None,
    }


def reporting_db() -> str:
    """The alias a report, a stats chart or a search reads from.

    The replica when one is configured, this client has not written lately, no
    transaction is open on the primary and the replica answers; else the primary.
    """
    if not replica_configured() or primary_pinned():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA if _replica_reachable() else DEFAULT_DB_ALIAS


class ReplicaPinMiddleware:
    """Pins a client's reports to the primary for a while after it wrote something."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        writes = request.method not in SAFE_METHODS
        token = _pinned.set(writes or PIN_COOKIE in request.COOKIES)
        try:
            response = self.get_response(request)
        finally:
            _pinned.reset(token)
        if writes:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.DISQUAIRE_REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
