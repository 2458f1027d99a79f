"""Maintaining the rollups: one upsert per dossier event, and set-based rebuilds.

Every counter is attributed to the local day of the event that caused it (the same rule in the
receiver and in :func:`rebuild`, so both give the same numbers):

- ``accept`` / ``receive_at_counter``: received (and per channel);
- ``refuse``, ``withdraw``, ``stop``: refused, withdrawn, stopped;
- ``request_supplement``: supplements (requests);
- ``approve``: decided (early/on time/late), processing time, electronic result, digitised, reused;
- ``payment_received``: fee-bearing and, when the dossier was paid online, paid online;
- ``return_result``: returned. Ratings add their own counters on the rating's day.

More than one supplement request is late whatever the dates. Otherwise timeliness is the
``timeliness`` the workflow wrote on approval (its appointment already moved by the supplement
waiting time); when empty it is derived the same way: after the appointment is late, on an earlier
day than the appointment is early, otherwise on time.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from motcua.catalog.models import Channel
from motcua.dossiers.models import Status, Timeliness
from motcua.stats.models import COUNTERS, BacklogSnapshot, DailyRollup, MonthlyRollup, WorkDay

log = logging.getLogger(__name__)

RECEIVE_ACTIONS = ("accept", "receive_at_counter")
COUNTED_ACTIONS = (*RECEIVE_ACTIONS, "refuse", "withdraw", "stop", "request_supplement", "approve",
                   "payment_received", "return_result")
CHANNEL_COLUMN = {Channel.ONLINE: "received_online", Channel.COUNTER: "received_counter", Channel.POST: "received_post"}
TIMELINESS_COLUMN = {Timeliness.EARLY: "decided_early", Timeliness.ON_TIME: "decided_on_time", Timeliness.LATE: "decided_late"}
IN_PROGRESS = (Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUESTED)
ENDED_WITHOUT_DECISION = (Status.REFUSED, Status.WITHDRAWN, Status.STOPPED)
WORKING_DAY_SECONDS = 8 * 3600
CALENDAR_YEARS = range(2010, 2041)


# --- working-day calendar -------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _calendar() -> dict[dt.date, tuple[int, bool]]:
    import holidays

    vn = holidays.country_holidays("VN", years=CALENDAR_YEARS)
    day, end, ordinal, out = dt.date(CALENDAR_YEARS[0], 1, 1), dt.date(CALENDAR_YEARS[-1], 12, 31), 0, {}
    while day <= end:
        working = day.weekday() < 5 and day not in vn
        out[day] = (ordinal, working)
        ordinal += working
        day += dt.timedelta(days=1)
    return out


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days from ``start`` to ``end`` (same day: 0), by the Vietnamese public-holiday calendar."""
    cal = _calendar()
    if start not in cal or end not in cal:
        return max(0, (end - start).days)
    return cal[end][0] - cal[start][0]


def ensure_calendar() -> None:
    if WorkDay.objects.exists():
        return
    WorkDay.objects.bulk_create(
        [WorkDay(day=d, ordinal=o, is_working=w) for d, (o, w) in _calendar().items()], batch_size=2000
    )


# --- incremental ----------------------------------------------------------------------------

def classify(dossier, decided_at: dt.datetime) -> str:
    if dossier.supplement_count > 1:
        return Timeliness.LATE
    if dossier.timeliness:
        return dossier.timeliness
    if dossier.appointment_at is None:
        return Timeliness.ON_TIME
    if decided_at > dossier.appointment_at:
        return Timeliness.LATE
    if timezone.localtime(decided_at).date() < timezone.localtime(dossier.appointment_at).date():
        return Timeliness.EARLY
    return Timeliness.ON_TIME


def event_deltas(dossier, action: str, at: dt.datetime) -> dict[str, float]:
    """Counter increments caused by one event on ``dossier`` (empty when the action counts nothing)."""
    if action in RECEIVE_ACTIONS:
        return {"received": 1, CHANNEL_COLUMN[Channel(dossier.channel)]: 1}
    if action == "refuse":
        return {"refused": 1}
    if action == "withdraw":
        return {"withdrawn": 1}
    if action == "stop":
        return {"stopped": 1}
    if action == "request_supplement":
        return {"supplements": 1}
    if action == "return_result":
        return {"returned": 1}
    if action == "payment_received":
        return {"fee_bearing": 1, "paid_online": 1 if dossier.paid_online else 0}
    if action == "approve":
        deltas = {"decided_total": 1, TIMELINESS_COLUMN[classify(dossier, at)]: 1}
        if dossier.received_at:
            deltas["processing_seconds_sum"] = max(0, round((at - dossier.received_at).total_seconds()))
            days = working_days_between(
                timezone.localtime(dossier.received_at).date(), timezone.localtime(at).date()
            )
            deltas["processing_working_days_sum"] = days - dossier.paused_working_seconds / WORKING_DAY_SECONDS
        deltas["electronic_result"] = int(dossier.has_electronic_result)
        deltas["digitised"] = int(dossier.is_digitised)
        deltas["reused"] = int(dossier.reuses_data)
        return deltas
    return {}


def _upsert(model, period_column: str, period: dt.date, key: dict, deltas: dict) -> None:
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = [period_column, "agency_id", "procedure_id", "field_id", "channel", *COUNTERS]
    values = [period, key["agency_id"], key["procedure_id"], key["field_id"], key["channel"]]
    values += [deltas.get(name, 0) for name in COUNTERS]
    updates = ", ".join(f"{qn(c)} = {table}.{qn(c)} + EXCLUDED.{qn(c)}" for c in COUNTERS if c in deltas)
    sql = (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({qn(period_column)}, agency_id, procedure_id, channel) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


def add(dossier, at: dt.datetime, deltas: dict) -> None:
    """Add ``deltas`` to the day and month rows of ``dossier``'s agency, procedure and channel."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    day = timezone.localtime(at).date()
    key = {
        "agency_id": dossier.competent_agency_id,
        "procedure_id": dossier.procedure_id,
        "field_id": dossier.procedure.field_id,
        "channel": dossier.channel,
    }
    with transaction.atomic():
        _upsert(DailyRollup, "day", day, key, deltas)
        _upsert(MonthlyRollup, "month", day.replace(day=1), key, deltas)


def on_dossier_transitioned(sender, dossier, event, **kwargs) -> None:
    """Receiver of ``dossier_transitioned``. A failure is logged, never raised: the transition has
    already been committed and ``rebuild-stats`` repairs the counters."""
    if event.action not in COUNTED_ACTIONS:
        return
    try:
        _add_event(dossier, event.at, event_deltas(dossier, event.action, event.at))
    except Exception:  # pragma: no cover - defensive
        log.exception("stats: could not count event %s of dossier %s", event.pk, dossier.pk)


def _add_event(dossier, at: dt.datetime, deltas: dict) -> None:
    """What :func:`add` does, in one statement on PostgreSQL (day and month upserts chained in a
    ``WITH``), the procedure's field read by a subquery instead of loading the procedure."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    day = timezone.localtime(at).date()
    qn = connection.ops.quote_name
    from motcua.catalog.models import Procedure

    field = f"(SELECT field_id FROM {qn(Procedure._meta.db_table)} WHERE id = %s)"
    statements = []
    for model, column, period in ((DailyRollup, "day", day), (MonthlyRollup, "month", day.replace(day=1))):
        table = qn(model._meta.db_table)
        columns = [column, "agency_id", "procedure_id", "field_id", "channel", *COUNTERS]
        values = [period, dossier.competent_agency_id, dossier.procedure_id, dossier.procedure_id, dossier.channel]
        # Counters left at zero are written as the literal 0, not as parameters: psycopg caches the
        # parsing of a statement only up to 50 parameters, and all 2 x 27 would cost ~0.6 ms a call.
        values += [deltas[name] for name in COUNTERS if name in deltas]
        placeholders = ["%s"] * 5 + ["%s" if name in deltas else "0" for name in COUNTERS]
        placeholders[3] = field
        updates = ", ".join(f"{qn(c)} = {table}.{qn(c)} + EXCLUDED.{qn(c)}" for c in COUNTERS if c in deltas)
        sql = (
            f"INSERT INTO {table} ({', '.join(qn(c) for c in columns)}) VALUES ({', '.join(placeholders)}) "
            f"ON CONFLICT ({qn(column)}, agency_id, procedure_id, channel) DO UPDATE SET {updates}"
        )
        statements.append((sql, values))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            (daily, daily_values), (monthly, monthly_values) = statements
            cursor.execute(f"WITH daily AS ({daily}) {monthly}", daily_values + monthly_values)
        else:
            with transaction.atomic():
                for sql, values in statements:
                    cursor.execute(sql, values)


# --- set-based rebuild ----------------------------------------------------------------------

def _tz_offset() -> str:
    offset = timezone.localtime(timezone.now()).utcoffset() or dt.timedelta()
    minutes = int(offset.total_seconds() // 60)
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes)} minutes"


def _local_date(expr: str) -> str:
    if connection.vendor == "postgresql":
        return f"(({expr}) AT TIME ZONE '{settings.TIME_ZONE}')::date"
    return f"date({expr}, '{_tz_offset()}')"


def _month_of(date_expr: str) -> str:
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {date_expr})::date"
    return f"date({date_expr}, 'start of month')"


def _seconds_between(a: str, b: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({a} - {b}))"
    return f"((julianday({a}) - julianday({b})) * 86400.0)"


def _timeliness_sql() -> str:
    early_cmp = f"{_local_date('e.at')} < {_local_date('d.appointment_at')}"
    return (
        "CASE WHEN d.supplement_count > 1 THEN 'late' "
        "WHEN d.timeliness <> '' THEN d.timeliness "
        "WHEN d.appointment_at IS NULL THEN 'on_time' "
        "WHEN e.at > d.appointment_at THEN 'late' "
        f"WHEN {early_cmp} THEN 'early' ELSE 'on_time' END"
    )


def _daily_select(where: str = "") -> str:
    """SELECT producing daily rollup rows from dossier events (optionally restricted)."""

    def count(cond: str) -> str:
        return f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"

    approve = "e.action = 'approve'"
    tl = _timeliness_sql()
    secs = _seconds_between("e.at", "d.received_at")
    exprs = {
        "received": count("e.action IN ('accept', 'receive_at_counter')"),
        "received_online": count(f"e.action IN ('accept', 'receive_at_counter') AND d.channel = {Channel.ONLINE}"),
        "received_counter": count(f"e.action IN ('accept', 'receive_at_counter') AND d.channel = {Channel.COUNTER}"),
        "received_post": count(f"e.action IN ('accept', 'receive_at_counter') AND d.channel = {Channel.POST}"),
        "refused": count("e.action = 'refuse'"),
        "withdrawn": count("e.action = 'withdraw'"),
        "stopped": count("e.action = 'stop'"),
        "supplements": count("e.action = 'request_supplement'"),
        "decided_total": count(approve),
        "decided_early": count(f"{approve} AND ({tl}) = 'early'"),
        "decided_on_time": count(f"{approve} AND ({tl}) = 'on_time'"),
        "decided_late": count(f"{approve} AND ({tl}) = 'late'"),
        "processing_seconds_sum": f"SUM(CASE WHEN {approve} AND d.received_at IS NOT NULL AND e.at > d.received_at "
        f"THEN CAST(ROUND({secs}) AS BIGINT) ELSE 0 END)",
        "processing_working_days_sum": f"SUM(CASE WHEN {approve} AND d.received_at IS NOT NULL "
        f"THEN COALESCE(wd_end.ordinal - wd_start.ordinal, 0) - d.paused_working_seconds / {float(WORKING_DAY_SECONDS)} "
        "ELSE 0 END)",
        "electronic_result": count(f"{approve} AND d.has_electronic_result"),
        "digitised": count(f"{approve} AND d.is_digitised"),
        "reused": count(f"{approve} AND d.reuses_data"),
        "fee_bearing": count("e.action = 'payment_received'"),
        "paid_online": count("e.action = 'payment_received' AND d.paid_online IS NOT NULL AND d.paid_online > 0"),
        "returned": count("e.action = 'return_result'"),
        "ratings": "0",
        "ratings_disliked": "0",
        "rating_score_sum": "0",
    }
    actions = ", ".join(f"'{a}'" for a in COUNTED_ACTIONS)
    return (
        f"SELECT {_local_date('e.at')}, d.competent_agency_id, d.procedure_id, p.field_id, d.channel, "
        + ", ".join(exprs[c] for c in COUNTERS)
        + " FROM dossiers_dossierevent e JOIN dossiers_dossier d ON d.id = e.dossier_id "
        "JOIN catalog_procedure p ON p.id = d.procedure_id "
        f"LEFT JOIN stats_workday wd_start ON wd_start.day = {_local_date('d.received_at')} "
        f"LEFT JOIN stats_workday wd_end ON wd_end.day = {_local_date('e.at')} "
        f"WHERE e.action IN ({actions}) {where} "
        "GROUP BY 1, 2, 3, 4, 5"
    )


def _ratings_select() -> str:
    zero = {c: "0" for c in COUNTERS}
    zero.update(
        ratings="COUNT(*)",
        ratings_disliked="SUM(CASE WHEN r.score <= 2 THEN 1 ELSE 0 END)",
        rating_score_sum="SUM(r.score)",
    )
    return (
        f"SELECT {_local_date('r.at')}, d.competent_agency_id, d.procedure_id, p.field_id, d.channel, "
        + ", ".join(zero[c] for c in COUNTERS)
        + " FROM stats_rating r JOIN dossiers_dossier d ON d.id = r.dossier_id "
        "JOIN catalog_procedure p ON p.id = d.procedure_id WHERE 1 = 1 GROUP BY 1, 2, 3, 4, 5"
    )


def rebuild() -> dict[str, int]:
    """Recompute every rollup from the dossier events and ratings, set-based (a few statements)."""
    ensure_calendar()
    counters = ", ".join(COUNTERS)
    cols = f"day, agency_id, procedure_id, field_id, channel, {counters}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM stats_monthlyrollup")
        cursor.execute("DELETE FROM stats_dailyrollup")
        cursor.execute(f"INSERT INTO stats_dailyrollup ({cols}) {_daily_select()}")
        rating_updates = ", ".join(
            f"{c} = stats_dailyrollup.{c} + EXCLUDED.{c}" for c in ("ratings", "ratings_disliked", "rating_score_sum")
        )
        cursor.execute(
            f"INSERT INTO stats_dailyrollup ({cols}) {_ratings_select()} "
            f"ON CONFLICT (day, agency_id, procedure_id, channel) DO UPDATE SET {rating_updates}"
        )
        sums = ", ".join(f"SUM({c})" for c in COUNTERS)
        cursor.execute(
            f"INSERT INTO stats_monthlyrollup (month, agency_id, procedure_id, field_id, channel, {counters}) "
            f"SELECT {_month_of('day')}, agency_id, procedure_id, MAX(field_id), channel, {sums} "
            "FROM stats_dailyrollup GROUP BY 1, 2, 3, 5"
        )
    return {"daily": DailyRollup.objects.count(), "monthly": MonthlyRollup.objects.count()}


# --- backlog snapshots ----------------------------------------------------------------------

def _done_at_sql() -> str:
    ended = ", ".join(str(int(s)) for s in (*ENDED_WITHOUT_DECISION, Status.DECIDED, Status.RETURNED))
    return f"COALESCE(d.decided_at, d.finished_at, CASE WHEN d.status IN ({ended}) THEN d.updated_at END)"


def _snapshot(kind: str, as_of: dt.datetime, where: str, params: list) -> None:
    adapt = connection.ops.adapt_datetimefield_value
    as_of, params = adapt(as_of), [adapt(p) if isinstance(p, dt.datetime) else p for p in params]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO stats_backlogsnapshot (kind, as_of, agency_id, procedure_id, field_id, channel, in_progress, overdue) "
            "SELECT %s, %s, d.competent_agency_id, d.procedure_id, p.field_id, d.channel, COUNT(*), "
            "SUM(CASE WHEN d.appointment_at < %s THEN 1 ELSE 0 END) "
            "FROM dossiers_dossier d JOIN catalog_procedure p ON p.id = d.procedure_id "
            f"WHERE {where} GROUP BY d.competent_agency_id, d.procedure_id, p.field_id, d.channel",
            [kind, as_of, as_of, *params],
        )


def refresh_current(now: dt.datetime | None = None) -> None:
    """Replace the "right now" backlog (dossiers in progress, and overdue) for every agency."""
    now = now or timezone.now()
    statuses = ", ".join(str(int(s)) for s in IN_PROGRESS)
    with transaction.atomic():
        BacklogSnapshot.objects.filter(kind=BacklogSnapshot.Kind.CURRENT).delete()
        _snapshot(BacklogSnapshot.Kind.CURRENT, now, f"d.status IN ({statuses})", [])


def month_end(month: dt.date) -> dt.datetime:
    """The instant a month ends (local midnight of the next month's first day)."""
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return timezone.make_aware(dt.datetime.combine(nxt, dt.time()))


def snapshot_month_end(month: dt.date) -> None:
    """Record what was in progress when ``month`` ended: received before, not decided or ended before."""
    end = month_end(month)
    with transaction.atomic():
        BacklogSnapshot.objects.filter(kind=BacklogSnapshot.Kind.MONTH_END, as_of=end).delete()
        _snapshot(
            BacklogSnapshot.Kind.MONTH_END,
            end,
            f"d.received_at IS NOT NULL AND d.received_at < %s AND ({_done_at_sql()} IS NULL OR {_done_at_sql()} >= %s)",
            [end, end],
        )


def refresh(now: dt.datetime | None = None) -> None:
    """The periodic task: current backlog, plus the snapshot of any ended month not recorded yet."""
    now = now or timezone.now()
    refresh_current(now)
    months = MonthlyRollup.objects.dates("month", "month")
    done = set(
        BacklogSnapshot.objects.filter(kind=BacklogSnapshot.Kind.MONTH_END).values_list("as_of", flat=True).distinct()
    )
    for m in months:
        end = month_end(m)
        if end <= now and end not in done:
            snapshot_month_end(m)


def rebuild_snapshots(now: dt.datetime | None = None) -> None:
    BacklogSnapshot.objects.filter(kind=BacklogSnapshot.Kind.MONTH_END).delete()
    refresh(now)
