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


def _lookup_sql() -> str:
    """The lookup statement, built once from the models' table and column names.

    First part: the dossier, its procedure and receiving agency, and one row per event (LEFT JOIN:
    a dossier without events still answers). Second part: its electronic results, only once
    returned. Rows are ordered by dossier id, part, time, id.
    """
    global _SQL
    if _SQL is None:
        from motcua.catalog.models import Procedure
        from motcua.documents.models import Result
        from motcua.organisations.models import Agency

        qn = connection.ops.quote_name

        def col(model, name):
            return qn(model._meta.get_field(name).column)

        D, P, A, E, R = (qn(m._meta.db_table) for m in (Dossier, Procedure, Agency, DossierEvent, Result))
        where = f"d.{col(Dossier, 'code')} IN (%s, %s)"
        _SQL = (
            f"SELECT d.{col(Dossier, 'id')}, d.{col(Dossier, 'status')}, d.{col(Dossier, 'code')}, "
            f"d.{col(Dossier, 'applicant_name')}, d.{col(Dossier, 'submitted_at')}, d.{col(Dossier, 'appointment_at')}, "
            f"d.{col(Dossier, 'returned_at')}, p.{col(Procedure, 'name')}, p.{col(Procedure, 'code')}, a.{col(Agency, 'name')}, "
            f"0, e.{col(DossierEvent, 'at')}, e.{col(DossierEvent, 'action')}, e.{col(DossierEvent, 'to_status')}, "
            f"e.{col(DossierEvent, 'id')}, NULL "
            f"FROM {D} d INNER JOIN {P} p ON p.{col(Procedure, 'id')} = d.{col(Dossier, 'procedure')} "
            f"INNER JOIN {A} a ON a.{col(Agency, 'id')} = d.{col(Dossier, 'receiving_agency')} "
            f"LEFT OUTER JOIN {E} e ON e.{col(DossierEvent, 'dossier')} = d.{col(Dossier, 'id')} "
            f"WHERE {where} AND d.{col(Dossier, 'status')} <> %s "
            f"UNION ALL "
            f"SELECT d.{col(Dossier, 'id')}, d.{col(Dossier, 'status')}, d.{col(Dossier, 'code')}, "
            f"NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
            f"1, r.{col(Result, 'created_at')}, r.{col(Result, 'name')}, r.{col(Result, 'id')}, r.{col(Result, 'id')}, "
            f"r.{col(Result, 'code')} "
            f"FROM {D} d INNER JOIN {R} r ON r.{col(Result, 'dossier')} = d.{col(Dossier, 'id')} "
            f"WHERE {where} AND d.{col(Dossier, 'status')} = %s AND %s AND r.{col(Result, 'is_electronic')} "
            f"ORDER BY 1, 11, 12, 15"
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
    with connection.cursor() as cursor:
        cursor.execute(
            _lookup_sql(), [upper, typed, int(Status.DRAFT), upper, typed, int(Status.RETURNED), bool(results)]
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    first = rows[0]
    pk, status = first[0], first[1]
    timeline, found = [], []
    for row in rows:
        if row[0] != pk:  # both spellings matched two dossiers: keep the first, as before
            break
        if row[10] == 0:
            if row[14] is None:
                continue  # no events yet
            action, to_status = row[12], row[13]
            timeline.append(
                {
                    "at": _aware(row[11]),
                    "action": TRANSITIONS[action].label if action in TRANSITIONS else action,
                    "status": Status(to_status).label if to_status is not None else "",
                }
            )
        else:
            found.append({"pk": row[13], "name": row[12], "code": row[15]})
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
        "code": first[2],
        "procedure": first[7],
        "procedure_code": first[8],
        "status": status,
        "status_label": Status(status).label,
        "applicant": mask_name(first[3]),
        "receiving_agency": first[9],
        "submitted_at": _aware(first[4]),
        "appointment_at": _aware(first[5]),
        "returned_at": _aware(first[6]),
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

