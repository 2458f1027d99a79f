"""Model writes with their SQL compiled once per process.

Django compiles an UPDATE or INSERT anew on every ``save()`` (about 0.3 ms of CPU each, as much as
the round trip), while the hot paths (a status change, its event, a workflow's tasks) send the
same statements every time. Values still go through each field's own preparation (``pre_save``
for auto_now, ``get_db_prep_save``), and ``pre_save``/``post_save`` are still sent, so the rows and
the signals are those ``Model.save()`` would give.
"""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.db.models.signals import post_save, pre_save

_update_sql: dict[tuple, tuple[str, list]] = {}

_inserts: dict[tuple, tuple[str, list]] = {}


def insert_statement(model, count: int) -> tuple[str, list]:
    """INSERT of ``count`` rows of ``model`` returning their ids, and the fields it sets (for
    statements that embed it, e.g. in a ``WITH``)."""
    key = (model, count, connection.vendor)
    cached = _inserts.get(key)
    if cached is None:
        qn = connection.ops.quote_name
        opts = model._meta
        fields = [f for f in opts.concrete_fields if not f.primary_key]
        one = f"({', '.join(['%s'] * len(fields))})"
        sql = (
            f"INSERT INTO {qn(opts.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES {', '.join([one] * count)} RETURNING {qn(opts.pk.column)}"
        )
        cached = _inserts[key] = (sql, fields)
    return cached


def _update_statement(model, names) -> tuple[str, list]:
    """UPDATE of the ``names`` fields of one row (its id the last parameter), and those fields."""
    key = (model, frozenset(names))
    cached = _update_sql.get(key)
    if cached is None:
        qn = connection.ops.quote_name
        opts = model._meta
        fields = sorted({opts.get_field(name) for name in names}, key=lambda f: f.column)
        sql = (
            f"UPDATE {qn(opts.db_table)} SET {', '.join(f'{qn(f.column)} = %s' for f in fields)} "
            f"WHERE {qn(opts.pk.column)} = %s"
        )
        cached = _update_sql[key] = (sql, fields)
    return cached


def insert(instance, *more):
    """``instance.save(force_insert=True)`` for new rows of one model (one multi-row statement),
    with the INSERT compiled once per model, row count and database vendor (fields prepared by
    Django; pre_save and post_save sent for each). Returns the first instance."""
    rows = (instance, *more)
    model = type(instance)
    sql, fields = insert_statement(model, len(rows))
    values = []
    for row in rows:
        pre_save.send(sender=model, instance=row, raw=False, using=connection.alias, update_fields=None)
        values += [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        ids = [r[0] for r in cursor.fetchall()]  # in VALUES order, as bulk_create relies on too
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding, row._state.db = False, connection.alias
        post_save.send(sender=model, instance=row, created=True, update_fields=None, raw=False, using=connection.alias)
    return instance


def save_fields(instance, names) -> None:
    """``instance.save(update_fields=names)`` with the UPDATE compiled once per set of fields."""
    model = type(instance)
    sql, fields = _update_statement(model, names)
    update_fields = frozenset(f.name for f in fields)
    pre_save.send(sender=model, instance=instance, raw=False, using=connection.alias, update_fields=update_fields)
    values = [f.get_db_prep_save(f.pre_save(instance, False), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, instance.pk])
        if cursor.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")
    post_save.send(sender=model, instance=instance, created=False, update_fields=update_fields, raw=False,
                   using=connection.alias)


_update_insert_sql: dict[tuple, str] = {}


def save_fields_and_insert(instance, names, row) -> None:
    """``save_fields(instance, names)`` then ``insert(row)`` (a row of another model), in ONE
    statement on PostgreSQL: a status change's UPDATE and its event's INSERT in one round trip.
    Elsewhere the two statements. Signals as for the two functions; raises like ``save_fields``
    when the UPDATE matched no row (the caller's transaction then rolls the INSERT back)."""
    if connection.vendor != "postgresql":
        save_fields(instance, names)
        insert(row)
        return
    model, row_model = type(instance), type(row)
    key = (model, frozenset(names), row_model)
    sql = _update_insert_sql.get(key)
    update, fields = _update_statement(model, names)
    insert_sql, row_fields = insert_statement(row_model, 1)
    if sql is None:
        sql = _update_insert_sql[key] = (
            f"WITH saved AS ({update} RETURNING 1), added AS ({insert_sql}) "
            "SELECT (SELECT count(*) FROM saved), (SELECT * FROM added)"
        )
    update_fields = frozenset(f.name for f in fields)
    pre_save.send(sender=model, instance=instance, raw=False, using=connection.alias, update_fields=update_fields)
    values = [f.get_db_prep_save(f.pre_save(instance, False), connection) for f in fields]
    values.append(instance.pk)
    pre_save.send(sender=row_model, instance=row, raw=False, using=connection.alias, update_fields=None)
    values += [f.get_db_prep_save(f.pre_save(row, True), connection) for f in row_fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        saved, pk = cursor.fetchone()
    if not saved:
        raise DatabaseError("Save with update_fields did not affect any rows.")
    post_save.send(sender=model, instance=instance, created=False, update_fields=update_fields, raw=False,
                   using=connection.alias)
    row.pk = pk
    row._state.adding, row._state.db = False, connection.alias
    post_save.send(sender=row_model, instance=row, created=True, update_fields=None, raw=False, using=connection.alias)
