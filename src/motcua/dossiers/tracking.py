"""Public tracking of dossiers: by code (masked, rate limited) or by contact + identity with an OTP.

Nothing personal leaves through the public view: the applicant's name is masked and the timeline
lists actions, statuses and dates only (no notes, no actors).

A lookup by code is one SQL statement (``lookup``): the dossier with its procedure and receiving
agency, its events and (for the page) its electronic results, by primary keys and the unique code
index; the rate limit counts in memory shared by the worker processes (``ratelimit``), not with a
database write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_noop

from motcua.dossiers import ratelimit
from motcua.dossiers.models import Dossier, DossierEvent, Status
from motcua.dossiers.submission import mask_name, supplement_request
from motcua.dossiers.transitions import TRANSITIONS

RATE_LIMIT = 20  # requests per window per client address
RATE_WINDOW = 60
RATE_LIMIT_MESSAGE = gettext_noop("Bạn tra cứu quá nhiều lần trong thời gian ngắn. Vui lòng thử lại sau một phút.")
OTP_PURPOSE = "tracking"


def rate_limited(scope: str, client: str, limit: int = RATE_LIMIT, window: int = RATE_WINDOW) -> bool:
    """Count one hit for ``client`` in a fixed window; True once the limit is exceeded.

    Counted in memory shared by every worker process of the host, or in the database (setting
    ``RATE_LIMIT_STORE``): see ``motcua.dossiers.ratelimit``.
    """
    return ratelimit.hit(scope, client, window) > limit


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def normalise_code(code: str) -> str:
    return "".join(str(code or "").split()).upper()[:60]


@dataclass
class Tracked:
    """One dossier found by its code: what the public sees (``view``) and what the page needs."""

    pk: int
    status: int
    view: dict
    results: list[dict] = field(default_factory=list)  # electronic results: pk, name, code


_SQL: str | None = None
_STATUS_LABELS = {int(s): s.label for s in Status}
_ACTION_LABELS = {name: spec.label for name, spec in TRANSITIONS.items()}


def _lookup_sql() -> str:
    """The lookup statement, built once from the models' table and column names.

    The dossier is found once, by the unique code index (``WITH d``: the lowest id if both
    spellings matched), then three parts with the same columns, in order: the dossier with its
    procedure and receiving agency (one row), its events (one row each, so the dossier's columns
    are not repeated per event), its electronic results (only once returned, and only when asked).
    Columns: dossier id, status, part, time, text, number, id, then the dossier's applicant,
    procedure name and code, agency name, appointment and return dates.
    """
    global _SQL
    if _SQL is None:
        from motcua.catalog.models import Procedure
        from motcua.documents.models import Result
        from motcua.organisations.models import Agency

        qn = connection.ops.quote_name

        def column(model, name):
            return qn(model._meta.get_field(name).column)

        def d(name):
            return "d." + column(Dossier, name)

        def e(name):
            return "e." + column(DossierEvent, name)

        def r(name):
            return "r." + column(Result, name)

        def p(name):
            return "p." + column(Procedure, name)

        def a(name):
            return "a." + column(Agency, name)

        D, P, A, E, R = (qn(m._meta.db_table) for m in (Dossier, Procedure, Agency, DossierEvent, Result))
        wanted = ("id", "status", "code", "applicant_name", "procedure", "receiving_agency", "submitted_at",
                  "appointment_at", "returned_at")
        _SQL = (
            f"WITH d AS (SELECT {', '.join(d(name) for name in wanted)} FROM {D} d "
            f"WHERE {d('code')} IN (%s, %s) AND {d('status')} <> %s ORDER BY {d('id')} LIMIT 1) "
            f"SELECT {d('id')}, {d('status')}, 0, {d('submitted_at')}, {d('code')}, NULL, 0, {d('applicant_name')}, "
            f"{p('name')}, {p('code')}, {a('name')}, {d('appointment_at')}, {d('returned_at')} "
            f"FROM d INNER JOIN {P} p ON {p('id')} = {d('procedure')} "
            f"INNER JOIN {A} a ON {a('id')} = {d('receiving_agency')} "
            f"UNION ALL "
            f"SELECT {d('id')}, {d('status')}, 1, {e('at')}, {e('action')}, {e('to_status')}, {e('id')}, "
            f"NULL, NULL, NULL, NULL, NULL, NULL "
            f"FROM d INNER JOIN {E} e ON {e('dossier')} = {d('id')} "
            f"UNION ALL "
            f"SELECT {d('id')}, {d('status')}, 2, {r('created_at')}, {r('name')}, {r('id')}, {r('id')}, "
            f"{r('code')}, NULL, NULL, NULL, NULL, NULL "
            f"FROM d INNER JOIN {R} r ON {r('dossier')} = {d('id')} "
            f"WHERE {d('status')} = %s AND %s AND {r('is_electronic')} "
            f"ORDER BY 1, 3, 4, 7"
        )
    return _SQL


def _aware(value):
    """A datetime from the database as an aware datetime (SQLite answers raw SQL with text)."""
    if value is None or isinstance(value, dt.datetime):
        if value is not None and timezone.is_naive(value):
            return timezone.make_aware(value, connection.timezone)
        return value
    parsed = parse_datetime(str(value))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, connection.timezone)
    return parsed


def lookup(code: str, *, results: bool = False) -> Tracked | None:
    """The public view of the dossier with this code (as typed or upper-cased), in one statement.

    Codes are issued in upper case: an exact match on both spellings uses the unique index
    (``code__iexact``, i.e. UPPER(code), would scan every dossier). ``results``: also the
    electronic results of a returned dossier (the page links to their verification).
    """
    typed = "".join(str(code or "").split())[:60]
    upper = normalise_code(code)
    if not upper:
        return None
    draft, returned = int(Status.DRAFT), int(Status.RETURNED)
    with connection.cursor() as cursor:
        cursor.execute(
            _lookup_sql(), [upper, typed, draft, returned, bool(results)]
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    first = rows[0]  # part 0: the dossier
    pk, status = first[0], first[1]
    timeline, found = [], []
    for row in rows[1:]:
        if row[2] == 1:
            action, to_status = row[4], row[5]
            timeline.append(
                {
                    "at": _aware(row[3]),
                    "action": _ACTION_LABELS.get(action, action),
                    "status": _STATUS_LABELS.get(to_status, "") if to_status is not None else "",
                }
            )
        else:
            found.append({"pk": row[5], "name": row[4], "code": row[7]})
    needed = []
    if status == Status.SUPPLEMENT_REQUESTED:
        request = supplement_request(Dossier(pk=pk, status=status)) or {"items": []}
        needed = [
            (item["component"].name if item.get("component") else "") + (f" – {item['note']}" if item.get("note") else "")
            for item in request["items"]
        ]
        needed = [n.strip(" –") for n in needed if n.strip(" –")]
        if not needed and request.get("note"):
            needed = [request["note"]]
    view = {
        "code": first[4],
        "procedure": first[8],
        "procedure_code": first[9],
        "status": status,
        "status_label": Status(status).label,
        "applicant": mask_name(first[7]),
        "receiving_agency": first[10],
        "submitted_at": _aware(first[3]),
        "appointment_at": _aware(first[11]),
        "returned_at": _aware(first[12]),
        "needed": needed,
        "timeline": timeline,
    }
    return Tracked(pk=pk, status=status, view=view, results=found)


def dossiers_of_person(contact: str, identity: str):
    """Dossiers whose applicant has this phone or e-mail and this identity number."""
    contact = (contact or "").strip()
    identity = "".join((identity or "").split())
    if not contact or not identity:
        return Dossier.objects.none()
    qs = Dossier.objects.exclude(status=Status.DRAFT).filter(applicant_identity=identity)
    if "@" in contact:
        qs = qs.filter(applicant_email__iexact=contact)
    else:
        try:
            from motcua.accounts.validators import normalise_phone

            contact = normalise_phone(contact)
        except ValidationError:
            return Dossier.objects.none()
        qs = qs.filter(applicant_phone=contact)
    return qs.select_related("procedure").order_by("-submitted_at")

