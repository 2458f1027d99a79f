"""The demo catalogue shipped with MotCua (data/demo-procedures.json) and its online services."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from motcua.core.text import fold

from . import services
from .models import OnlineService, Procedure, ServiceLevel

DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo-procedures.json"

# Field (folded words) -> words the province department's name must contain.
DEPARTMENT_BY_FIELD = [
    (("ho tich", "chung thuc", "ly lich tu phap", "tu phap", "luat su", "cong chung", "tro giup phap ly"), "tu phap"),
    (("xay dung", "nha o", "quy hoach"), "xay dung"),
    (("ho kinh doanh", "dang ky kinh doanh", "doanh nghiep", "thue", "tai chinh"), "tai chinh"),
    (("cu tru", "xuat nhap canh", "can cuoc", "dinh danh", "quan ly vu khi", "phong chay"), "cong an"),
    (("y te", "duoc", "kham chua benh"), "y te"),
]


def _department_for(procedure: Procedure, departments: list) -> object | None:
    field = fold(procedure.field.name if procedure.field_id else "")
    for field_words, department_words in DEPARTMENT_BY_FIELD:
        if any(w in field for w in field_words):
            for agency in departments:
                if department_words in fold(agency.name):
                    return agency
    return None


def _service_level(procedure: Procedure) -> str:
    channels = list(procedure.channels.all())
    online = any(ch.channel == 2 for ch in channels)
    has_fee = any(fee.amount > 0 for ch in channels for fee in ch.fees.all())
    return ServiceLevel.FULL if online and not has_fee else ServiceLevel.PARTIAL


@transaction.atomic
def load_demo_catalogue(path: Path | str = DEMO_FILE) -> dict[str, int]:
    """Load the demo catalogue (idempotent) and offer its procedures online at the demo agencies.

    Commune-level procedures: every commune committee; province-level: the department matching the
    field, else the service centre. Receiving points: the agency plus every service point. Without
    agencies no OnlineService is created.
    """
    from motcua.organisations.models import Agency

    document = json.loads(Path(path).read_text(encoding="utf-8"))
    counts = services.import_catalogue(document)
    codes = [p["code"] for p in document["procedures"]]
    procedures = services._prefetched(Procedure.objects.filter(code__in=codes)).prefetch_related("components__eform")
    communes = list(Agency.objects.filter(kind=Agency.Kind.COMMUNE_COMMITTEE, is_active=True))
    departments = list(Agency.objects.filter(kind=Agency.Kind.DEPARTMENT, is_active=True))
    centre = Agency.objects.filter(kind=Agency.Kind.SERVICE_CENTRE, is_active=True).order_by("code").first()
    service_points = list(Agency.objects.filter(is_service_point=True, is_active=True))
    created = 0
    for procedure in procedures:
        if "commune" in (procedure.levels or []):
            agencies = communes
        elif "province" in (procedure.levels or []):
            agency = _department_for(procedure, departments) or centre
            agencies = [agency] if agency else []
        else:
            agencies = []
        eform = next((c.eform for c in procedure.components.all() if c.eform_id), None)
        level = _service_level(procedure)
        for agency in agencies:
            service, was_created = OnlineService.objects.update_or_create(
                procedure=procedure, agency=agency, defaults={"service_level": level, "eform": eform}
            )
            created += was_created
            service.receiving_points.set({agency, *service_points})
    counts["online_services_created"] = created
    return counts
