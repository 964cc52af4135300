"""The artists' audit log: every back-office action, written inside its own transaction.

A service either calls ``activity_record()`` inside its transaction, or is decorated with
``@audited(...)``, which runs it in a transaction, reads the object before and after from
the database and records the difference; a change that fails leaves no entry. Who acted is
the signed-in user of the request (``ActorMiddleware``), or what ``acting_as()`` says.
Secrets never go in: mask them before (``masked()``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from disquaire.core.models import ActivityEntry

F = TypeVar("F", bound=Callable[..., Any])

# Who acts, asked only when an entry is written: the request's user is not looked up
# (a session read) on the many requests that write nothing.
_actor: ContextVar[Callable[[], str]] = ContextVar("activity_actor", default=lambda: "")

MASK = "••••"


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Entries recorded inside name ``actor`` (a command, a test, a task)."""
    token = _actor.set(lambda: actor)
    try:
        yield
    finally:
        _actor.reset(token)


class ActorMiddleware:
    """Names the signed-in user (``backstage:<email>``) as the actor of what the request
    records in the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        def who() -> str:
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                return ""
            return f"backstage:{getattr(user, 'email', '') or user.pk}"

        token = _actor.set(who)
        try:
            return self.get_response(request)
        finally:
            _actor.reset(token)


def masked(value: str) -> str:
    """A secret as the log may show it: whether it is set, never what it is."""
    return MASK if value else ""


def _artist_id(obj: models.Model) -> int | None:
    for path in ("artist_id", "release.artist_id", "batch.artist_id"):
        value: Any = obj
        for part in path.split("."):
            value = getattr(value, part, None)
        if value is not None:
            return int(value)
    return None


def _release_id(obj: models.Model) -> int | None:
    if obj._meta.model_name == "release":
        return int(obj.pk) if obj.pk is not None else None
    value = getattr(obj, "release_id", None)
    return int(value) if value is not None else None


def activity_record(
    *,
    artist_id: int,
    release_id: int | None = None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: str | None = None,
) -> ActivityEntry:
    """One entry of ``artist_id``'s log; call it inside the transaction of the change."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name or ""
        object_id = object_id or str(obj.pk or "")
        label = label or str(obj)
        release_id = release_id if release_id is not None else _release_id(obj)
    return ActivityEntry.objects.create(
        artist_id=artist_id,
        release_id=release_id,
        actor=(_actor.get()() if actor is None else actor)[:200],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=label[:200],
        before=before or {},
        after=after or {},
    )


def snapshot(model: type[models.Model], pk: Any, fields: Sequence[str] = ()) -> dict[str, Any]:
    """The stored row ``pk`` of ``model`` (its concrete fields, or ``fields``), {} if none."""
    if pk is None:
        return {}
    names = list(fields) or [
        f.attname for f in model._meta.concrete_fields if not f.primary_key and not f.auto_created
    ]
    row = model._default_manager.filter(pk=pk).values(*names).first()
    return dict(row) if row else {}


Subject = str | Callable[[dict[str, Any]], models.Model | None] | None


def audited(
    action: str, *, subject: Subject = None, fields: Sequence[str] = ()
) -> Callable[[F], F]:
    """Run the service in a transaction and record ``action`` for the object it changes:
    ``subject`` names the keyword argument holding it (or finds it from the keyword
    arguments); without one, or when it is None (a creation), the object is what the
    service returns. No entry when nothing changed, none when the service raises."""

    def find(kwargs: dict[str, Any]) -> models.Model | None:
        if subject is None:
            return None
        if isinstance(subject, str):
            found: Any = kwargs.get(subject)
            return found if isinstance(found, models.Model) else None
        return subject(kwargs)

    def decorate(service: F) -> F:
        @functools.wraps(service)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with transaction.atomic():
                obj = find(kwargs)
                pk, before, label = None, {}, ""
                artist_id = release_id = None
                if obj is not None and obj.pk is not None:
                    pk, label = obj.pk, str(obj)
                    before = snapshot(type(obj), pk, fields)
                    artist_id, release_id = _artist_id(obj), _release_id(obj)
                result = service(*args, **kwargs)
                if pk is None and isinstance(result, models.Model):
                    obj, pk = result, result.pk
                    label, artist_id = str(result), _artist_id(result)
                    release_id = _release_id(result)
                if obj is None or pk is None or artist_id is None:
                    return result
                after = snapshot(type(obj), pk, fields)
                if before != after:
                    activity_record(
                        artist_id=artist_id,
                        release_id=release_id,
                        action=action,
                        object_type=obj._meta.model_name or "",
                        object_id=str(pk),
                        label=label,
                        before=before,
                        after=after,
                    )
                return result

        return wrapper  # type: ignore[return-value]

    return decorate


def activity_for_artist(
    *,
    artist_id: int,
    object_type: str = "",
    object_id: Any = None,
    release_id: int | None = None,
    action_prefix: str = "",
) -> QuerySet[ActivityEntry]:
    """An artist's back-office actions, newest first: of one object, one release or one
    kind of action when named. The steps of orders' histories (``order_id`` set) are read
    on each order's page, not here."""
    entries = ActivityEntry.objects.filter(artist_id=artist_id, order_id__isnull=True)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id is not None:
        entries = entries.filter(object_id=str(object_id))
    if release_id is not None:
        entries = entries.filter(release_id=release_id)
    if action_prefix:
        entries = entries.filter(action__startswith=action_prefix)
    return entries
