"""Querysets compiled once per database connection, run many times with other parameter values.

Django compiles a queryset's SQL on every evaluation: for the task look-ups of the workflow (a
task with its step, definition, agency, dossier…) that is 0.5-0.7 ms of CPU, more than the round
trip. :class:`Prepared` compiles a queryset built with placeholder values once per connection and
then only executes the SQL with the real values, turning rows into instances with Django's own
converters and related-object populators, so the instances are those the queryset would give.
"""

from __future__ import annotations

import weakref
from typing import Callable

from django.db import connection, connections
from django.db.models.query import get_related_populators


class RowConverter:
    """What ``compiler.results_iter`` does to fetched rows (each column through the backend's and
    the field's converters), with the converters looked up once instead of on every call: that
    look-up walks every selected column (~1 ms of CPU per status change in the life cycle)."""

    def __init__(self, compiler):
        self.compiler = compiler
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        self.fields = fields
        self.converters = compiler.get_converters(fields)
        self.composite = compiler.has_composite_fields(fields)

    def __call__(self, rows):
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        if self.composite:
            rows = self.compiler.composite_fields_to_tuples(rows, self.fields)
        return rows


class Prepared:
    """``Prepared(lambda a, b: Model.objects.filter(x=a, y=b)…, (sentinel_a, sentinel_b))``;
    ``.first(a, b)`` runs it with the real values and returns the first instance or ``None``.

    The sentinels must be values that appear exactly once each among the compiled SQL's
    parameters (checked at compile time), e.g. negative ids.
    """

    def __init__(self, build: Callable, sentinels: tuple):
        self.build = build
        self.sentinels = sentinels
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # per connection (thread)

    def _compile(self, wrapper):
        compiler = self.build(*self.sentinels).query.get_compiler(connection=wrapper)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = []
        for sentinel in self.sentinels:
            found = [i for i, p in enumerate(params) if p == sentinel and type(p) is type(sentinel)]
            if len(found) != 1:
                raise ValueError(f"placeholder {sentinel!r} found {len(found)} times in {params!r}")
            slots.append(found[0])
        klass_info = compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = [col.target.attname for col, _, _ in compiler.select[start:end]]
        populators = get_related_populators(klass_info, compiler.select, wrapper.alias)
        compiled = (sql, params, slots, RowConverter(compiler), klass_info["model"], start, end, names, populators)
        self._compiled[wrapper] = compiled
        return compiled

    def first(self, *values):
        found = self._run(values, many=False)
        return found[0] if found else None

    def all(self, *values) -> list:
        return self._run(values, many=True)

    def _run(self, values, *, many: bool) -> list:
        wrapper = connections[connection.alias]
        compiled = self._compiled.get(wrapper) or self._compile(wrapper)
        sql, params, slots, convert, model, start, end, names, populators = compiled
        params = list(params)
        for slot, value in zip(slots, values):
            params[slot] = value
        with wrapper.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall() if many else [r for r in [cursor.fetchone()] if r is not None]
        instances = []
        for row in convert(rows) if rows else ():
            instance = model.from_db(wrapper.alias, names, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            instances.append(instance)
        return instances
