"""Per-process cache of the catalogue facts every submission request reads.

Creating a draft, saving it, uploading a file and submitting each need the procedure's online
service (with its agency and e-form), its document components and whether it has cases: four
queries per request, about a millisecond of CPU each, for data that changes a few times a year.
They are cached here per procedure for ``TTL`` seconds, keyed on the procedure's ``updated_at``
and ``version`` (saving a procedure, which the admin does when its inlines change, starts a new
entry), and dropped in this process when any of these catalogue rows is saved or deleted. Another
worker process sees an edit at the latest ``TTL`` seconds later.

``active_procedure`` caches the Procedure rows looked up by code the same way (a procedure
deactivated in another worker still takes submissions there for at most ``TTL`` seconds, as an
online service removed there does).

Cached instances are shared between requests: read them, never modify them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

TTL = 60.0  # seconds

_lock = threading.Lock()
_entries: dict[int, tuple[float, tuple, "ProcedureFacts"]] = {}


@dataclass(frozen=True)
class ProcedureFacts:
    service: object | None  # OnlineService (agency and eform loaded) or None
    eform: object | None  # the e-form of the service, else of a component, else None
    components: tuple  # DocumentComponent rows, catalogue order
    has_cases: bool
    version_id: int | None = None  # ProcedureVersion the next dossier references, once known

    def components_for(self, case_id) -> list:
        """Components of the procedure for ``case_id`` (those of no case, plus the case's own)."""
        return [c for c in self.components if c.case_id is None or (case_id and c.case_id == case_id)]


def _key(procedure) -> tuple:
    return (getattr(procedure, "updated_at", None), getattr(procedure, "version", None))


def _load(procedure) -> ProcedureFacts:
    from motcua.catalog.models import DocumentComponent, OnlineService

    service = (
        OnlineService.objects.filter(procedure_id=procedure.pk)
        .exclude(service_level="information")
        .select_related("agency", "eform")
        .order_by("id")
        .first()
    )
    components = tuple(DocumentComponent.objects.filter(procedure_id=procedure.pk).select_related("eform"))
    eform = service.eform if service and service.eform_id else None
    if eform is None:
        eform = next((c.eform for c in components if c.eform_id), None)
    return ProcedureFacts(service=service, eform=eform, components=components, has_cases=procedure.cases.exists())


def facts(procedure) -> ProcedureFacts:
    """The cached facts of ``procedure`` (loaded on first use, or when stale)."""
    now = time.monotonic()
    key = _key(procedure)
    entry = _entries.get(procedure.pk)
    if entry is not None and entry[0] > now and entry[1] == key:
        return entry[2]
    value = _load(procedure)
    with _lock:
        _entries[procedure.pk] = (now + TTL, key, value)
    return value


def remember_version(procedure, version_id: int) -> None:
    """Keep the ProcedureVersion id found for the procedure's current version number."""
    entry = _entries.get(procedure.pk)
    if entry is not None and entry[1] == _key(procedure) and entry[2].version_id != version_id:
        old = entry[2]
        with _lock:
            _entries[procedure.pk] = (entry[0], entry[1], ProcedureFacts(
                old.service, old.eform, old.components, old.has_cases, version_id))


_by_code: dict[str, tuple[float, object]] = {}


def active_procedure(code: str):
    """The active Procedure with ``code`` (None if there is none), cached like the facts: the
    one-request submission API names its procedure by code on every call. A cached miss is not
    kept (a procedure created in another process is found at once)."""
    now = time.monotonic()
    hit = _by_code.get(code)
    if hit is not None and hit[0] > now:
        return hit[1]
    from motcua.catalog.models import Procedure

    procedure = Procedure.objects.filter(code=code, is_active=True).first()
    if procedure is not None:
        with _lock:
            _by_code[code] = (now + TTL, procedure)
    return procedure


_names: dict[tuple[str, int], tuple[float, str]] = {}


def related_name(dossier, field: str) -> str:
    """``dossier.<field>.name`` (``procedure``, ``receiving_agency``…): from the loaded object if
    any, else from a per-process cache (every status change sends a notice naming both)."""
    loaded = dossier._state.fields_cache.get(field)
    if loaded is not None:
        return loaded.name
    key = (field, getattr(dossier, f"{field}_id"))
    now = time.monotonic()
    hit = _names.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    name = getattr(dossier, field).name
    _names[key] = (now + TTL, name)
    return name


def clear(**kwargs) -> None:
    """Forget everything (a catalogue row changed; tests call it between tests)."""
    with _lock:
        _entries.clear()
        _by_code.clear()
        _names.clear()


def _changed(**kwargs) -> None:
    """A catalogue row changed: forget now, and again once the change commits (a request of
    another thread may have cached the old rows in between)."""
    clear()
    transaction.on_commit(clear, using=kwargs.get("using"))


def connect_signals() -> None:
    """Drop the cache when a row it is built from changes in this process."""
    from motcua.catalog.models import DocumentComponent, EForm, OnlineService, Procedure, ProcedureCase
    from motcua.organisations.models import Agency

    for model in (Procedure, ProcedureCase, DocumentComponent, EForm, OnlineService, Agency):
        uid = f"dossiers.procedure_facts.{model.__name__}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid + ".save", weak=False)
        post_delete.connect(_changed, sender=model, dispatch_uid=uid + ".delete", weak=False)
    m2m_changed.connect(_changed, sender=OnlineService.receiving_points.through,
                        dispatch_uid="dossiers.procedure_facts.points", weak=False)
