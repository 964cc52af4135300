"""Small query helpers for the hot paths (checkout, payment, downloads)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, IntegrityError, connections, models, router
from django.db.models import Field
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]
from django.db.models.signals import post_save, pre_save
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")


def only_row(queryset: models.QuerySet[M]) -> M | None:
    """The row of a query that matches one at most (by primary key or a unique field),
    or None.

    Unlike ``first()`` it sends no ORDER BY: ordering by the model's ``Meta.ordering``
    makes Django match every ordering term against every selected column, and with a
    few ``select_related`` that compilation costs more CPU than the query itself.
    """
    found = list(queryset.order_by()[:1])
    return found[0] if found else None


# --- queries compiled once -------------------------------------------------------------

# Stand-ins given to a query's builder on its first run, found again among the compiled
# query's parameters: ids (and lists of ids) and strings, each unlike any real value.
_MARKER_INT = -(2**62)
_MARKER_STR = "\x00disquaire-compiled-"


def _marker(name_index: int, value: Any) -> Any:
    if isinstance(value, bool):
        raise TypeError("compiled queries take ids and strings, not booleans")
    if isinstance(value, int):
        return _MARKER_INT + name_index * 1000
    if isinstance(value, str):
        return f"{_MARKER_STR}{name_index}"
    if isinstance(value, list | tuple):
        return [_marker(name_index, 0) + i for i in range(len(value))]
    raise TypeError(f"compiled queries take ids and strings, not {type(value).__name__}")


@dataclass
class _Plan:
    compiler: SQLCompiler | None  # None: the query matches nothing (an empty id list)
    sql: str
    params: list[Any]
    slots: list[tuple[int, str, int | None]]  # (param index, value name, list index)
    # How a row becomes instances, worked out once as ModelIterable does at every run.
    model: Any = None
    start: int = 0
    end: int = 0
    init_list: list[str] | None = None
    populators: list[Any] | None = None
    converters: dict[int, Any] | None = None
    annotations: dict[str, int] | None = None


class Compiled(Generic[M]):
    """A query whose SQL is compiled once (per thread and shape), then run
    again with new values, its rows turned into model instances as the ORM does.

    The ORM compiles a queryset into SQL at every run; for the checkout's few, fixed
    queries with ``select_related`` that cost several times the query itself.
    ``build(**values)`` returns the queryset; each value (an id, a string, a list of ids
    — one plan per length) must reach the SQL unchanged, as parameters of its own:
    checked at the first run, else ``ValueError``. Plain ORM semantics otherwise:
    ``select_for_update`` still needs a transaction.
    """

    def __init__(self, build: Callable[..., models.QuerySet[M]]) -> None:
        self.build = build
        self._local = threading.local()

    def _plan(self, values: dict[str, Any]) -> tuple[_Plan, str]:
        shape = tuple(
            (name, len(v) if isinstance(v, list | tuple) else -1) for name, v in values.items()
        )
        plans: dict[Any, tuple[_Plan, str]] | None = getattr(self._local, "plans", None)
        if plans is None:
            plans = self._local.plans = {}
        found = plans.get(shape)
        if found is not None:
            return found
        markers = {name: _marker(i, v) for i, (name, v) in enumerate(values.items())}
        queryset = self.build(**markers)
        alias = queryset.db
        compiler = queryset.query.get_compiler(using=alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            plans[shape] = (_Plan(None, "", [], []), alias)
            return plans[shape]
        where: dict[Any, tuple[str, int | None]] = {}
        for name, marker in markers.items():
            if isinstance(marker, list):
                where.update({m: (name, i) for i, m in enumerate(marker)})
            else:
                where[marker] = (name, None)
        slots = []
        for index, param in enumerate(params):
            if type(param) in (int, str) and param in where:
                name, item = where[param]
                slots.append((index, name, item))  # every place a value goes, not only the first
        missing = set(where) - {params[index] for index, _, _ in slots}
        if missing:
            lost = sorted({where[m][0] for m in missing})
            raise ValueError(f"{self.build!r}: values not passed through to the SQL: {lost}")
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        plan = (
            _Plan(
                compiler,
                sql,
                list(params),
                slots,
                model=klass_info["model"],
                start=start,
                end=end,
                init_list=[f[0].target.attname for f in select[start:end]],
                populators=get_related_populators(klass_info, select, alias),
                converters=compiler.get_converters([s[0] for s in select[0 : compiler.col_count]]),
                annotations=compiler.annotation_col_map or {},
            ),
            alias,
        )
        plans[shape] = plan
        return plan

    def all(self, **values: Any) -> list[M]:
        (plan, alias) = self._plan(values)
        connection = connections[alias]
        compiler = plan.compiler
        if compiler is None:
            return []
        if (
            compiler.query.select_for_update
            and connection.features.has_select_for_update
            and connection.get_autocommit()
        ):
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(plan.params)
        for index, name, item in plan.slots:
            params[index] = values[name] if item is None else values[name][item]
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if compiler.has_extra_select:
            rows = [row[: compiler.col_count] for row in rows]
        if plan.converters:
            rows = list(compiler.apply_converters(map(list, rows), plan.converters))
        start, end, init_list = plan.start, plan.end, plan.init_list
        found: list[M] = []
        for row in rows:
            obj = plan.model.from_db(alias, init_list, row[start:end])
            for populator in plan.populators or ():
                populator.populate(row, obj)
            for attr, position in (plan.annotations or {}).items():
                setattr(obj, attr, row[position])
            found.append(obj)
        return found

    def one(self, **values: Any) -> M | None:
        """The one row the query matches (by a unique key), or None."""
        rows = self.all(**values)
        return rows[0] if rows else None


# --- inserts without reading anything back -----------------------------------------------

_INSERT_SQL: dict[tuple[Any, ...], tuple[str, list[Field[Any, Any]]]] = {}


def insert_rows(objs: Sequence[models.Model], *, ignore_conflicts: bool = False) -> None:
    """INSERT unsaved instances of one model in one statement, reading nothing back
    (the instances stay as they were, without ``pk``): audit lines, holds, numbered
    units. ``ignore_conflicts``: rows that would break a unique constraint are left
    out (``ON CONFLICT DO NOTHING``), the others written, still in one statement
    and with no transaction or savepoint of its own.

    What ``bulk_create`` writes — each field's ``pre_save`` (``auto_now_add``) and
    database value — in a statement built once per model, row count and database, not
    compiled at every call. Models whose fields need their own SQL placeholder go
    through ``bulk_create``.
    """
    if not objs:
        return
    model = type(objs[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    key = (alias, model, len(objs), ignore_conflicts)
    found = _INSERT_SQL.get(key)
    if found is None:
        fields = [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
        ]
        if any(hasattr(f, "get_placeholder") for f in fields):
            model._default_manager.bulk_create(objs, ignore_conflicts=ignore_conflicts)
            return
        quote = connection.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        found = (
            f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(f.column) for f in fields)}) VALUES "
            + ", ".join([row] * len(objs))
            # PostgreSQL and SQLite both say it so.
            + (" ON CONFLICT DO NOTHING" if ignore_conflicts else ""),
            fields,
        )
        _INSERT_SQL[key] = found
    sql, fields = found
    params = [
        field.get_db_prep_save(field.pre_save(obj, True), connection=connection)
        for obj in objs
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- saving a few fields -----------------------------------------------------------------

_UPDATE_SQL: dict[
    tuple[str, type[models.Model], tuple[str, ...]], tuple[str, list[Field[Any, Any]]]
] = {}


def save_fields(obj: models.Model, fields: Sequence[str]) -> None:
    """``obj.save(update_fields=fields)`` with its UPDATE built once per model and field
    list: the same ``pre_save``/``post_save`` signals, each field's ``pre_save``
    (``auto_now``), one statement; ``DatabaseError`` when the row is gone, as ``save``.
    For a model whose ``save`` does more than the base one, call ``save``.
    """
    model = type(obj)._meta.concrete_model or type(obj)
    alias = router.db_for_write(model, instance=obj)
    connection = connections[alias]
    names = tuple(fields)
    key = (alias, model, names)
    found = _UPDATE_SQL.get(key)
    if found is None:
        quote = connection.ops.quote_name
        columns: list[Field[Any, Any]] = []
        for name in names:
            field = model._meta.get_field(name)
            if not isinstance(field, Field) or not field.concrete:
                raise ValueError(f"{model.__name__}.{name} is not a column")
            columns.append(field)
        found = (
            f"UPDATE {quote(model._meta.db_table)} SET "  # noqa: S608
            + ", ".join(f"{quote(str(f.column))} = %s" for f in columns)
            + f" WHERE {quote(str(model._meta.pk.column))} = %s",
            columns,
        )
        _UPDATE_SQL[key] = found
    sql, columns = found
    update_fields = frozenset(names)
    pre_save.send(sender=model, instance=obj, raw=False, using=alias, update_fields=update_fields)
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection=connection) for f in columns]
    params.append(model._meta.pk.get_db_prep_value(obj.pk, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")
    _saved(obj, model=model, alias=alias, created=False, update_fields=update_fields)


def insert_row(obj: models.Model) -> None:
    """``obj.save(force_insert=True)`` for a new row with an automatic primary key, with
    its INSERT built once per model: the same ``pre_save``/``post_save`` signals, each
    field's ``pre_save`` (``auto_now_add``, defaults already set), the key read back
    with ``RETURNING``. Where the database cannot return it, ``save`` does it all.
    For a model whose ``save`` does more than the base one, call ``save``.
    """
    model = type(obj)._meta.concrete_model or type(obj)
    alias = router.db_for_write(model, instance=obj)
    connection = connections[alias]
    if not connection.features.can_return_columns_from_insert:
        obj.save(force_insert=True)
        return
    key = (alias, model, -1)
    found = _INSERT_SQL.get(key)
    if found is None:
        quote = connection.ops.quote_name
        pk = model._meta.pk
        fields = [f for f in model._meta.concrete_fields if f is not pk]
        if any(hasattr(f, "get_placeholder") for f in fields):
            obj.save(force_insert=True)
            return
        found = (
            f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(str(pk.column))}",
            fields,
        )
        _INSERT_SQL[key] = found
    sql, fields = found
    pre_save.send(sender=model, instance=obj, raw=False, using=alias, update_fields=None)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        obj.pk = cursor.fetchone()[0]
    _saved(obj, model=model, alias=alias, created=True, update_fields=None)


def insert_row_keyed(obj: models.Model, *, later: list[models.Model] | None = None) -> None:
    """``obj.save(force_insert=True)`` for a new row whose primary key is already set (a
    UUID the code made): one INSERT built once (``insert_rows``), with the same
    ``pre_save``/``post_save`` signals. ``later``: a list to put the row in instead,
    written with others by ``insert_rows_saved`` (its ``pre_save`` sent now)."""
    model = type(obj)
    alias = router.db_for_write(model)
    pre_save.send(sender=model, instance=obj, raw=False, using=alias, update_fields=None)
    if later is not None:
        later.append(obj)
        return
    insert_rows_saved([obj])


def insert_rows_saved(objs: Sequence[models.Model]) -> None:
    """The rows ``insert_row_keyed`` kept for later, in one INSERT, each then saved
    (``post_save``) as ``save`` would."""
    insert_rows(objs)
    for obj in objs:
        model = type(obj)
        _saved(obj, model=model, alias=router.db_for_write(model), created=True, update_fields=None)


def _saved(
    obj: models.Model,
    *,
    model: type[models.Model],
    alias: str,
    created: bool,
    update_fields: frozenset[str] | None,
) -> None:
    """What ``save`` does after its statement: the instance now of ``alias``, saved,
    then ``post_save``."""
    obj._state.db, obj._state.adding = alias, False
    post_save.send(
        sender=model,
        instance=obj,
        created=created,
        update_fields=update_fields,
        raw=False,
        using=alias,
    )


def related_known(instance: models.Model, name: str, objects: Sequence[models.Model]) -> None:
    """Tell ``instance`` that its reverse relation ``name`` holds ``objects`` (just
    written with it), as ``prefetch_related(name)`` would: ``instance.<name>.all()``
    then reads nothing; any other query on the relation still asks the database."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[name] = queryset


def related_if_known(instance: models.Model, name: str) -> list[Any] | None:
    """What ``related_known`` (or ``prefetch_related``) told ``instance`` its relation
    ``name`` holds; None when it was not told (ask the database)."""
    cache = instance.__dict__.get("_prefetched_objects_cache", {})
    return list(cache[name]) if name in cache else None


def integrity_retry(run: Callable[[], T], *, attempts: int = 3) -> T:
    """``run()``, run again (``attempts`` times in all) when it fails on a unique key:
    the same thing recorded at that moment by another request, which the next run finds
    and answers as it did. ``run`` opens its own transaction (a savepoint inside one), so
    a failed run leaves nothing behind; the last failure is raised."""
    for attempt in range(attempts):
        try:
            return run()
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


@contextmanager
def rows_batch(
    slot: ContextVar[list[Any] | None], write: Callable[[list[Any]], None]
) -> Iterator[Callable[[], None]]:
    """Open ``slot`` for the rows written inside (their writers append to it) and
    ``write`` them together at the end; yields a function that writes what is pending
    now. The batch of the audit entries and of the task rows."""
    pending: list[Any] = []
    token = slot.set(pending)

    def flush() -> None:
        if pending:
            rows, pending[:] = list(pending), []
            write(rows)

    try:
        yield flush
        flush()
    finally:
        slot.reset(token)
