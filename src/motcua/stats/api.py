"""Public statistics API: aggregate figures only (no dossier, no person)."""

from __future__ import annotations

from ninja import Router, Schema
from ninja.errors import HttpError

from django.shortcuts import get_object_or_404
from ninja.responses import Status as Reply

from motcua.accounts.auth import api_auth
from motcua.dossiers.models import Dossier
from motcua.stats import reports
from motcua.stats.indicators import Period, PeriodError
from motcua.stats.services import AgencyTree, RatingError, rate_dossier

router = Router()


class AgencyFigures(Schema):
    agency_id: int | None
    code: str
    name: str
    received: int
    received_online: int
    online_rate: float | None
    decided: int
    on_time_rate: float | None
    late: int
    in_progress: int
    digitised_rate: float | None
    electronic_result_rate: float | None
    paid_online_rate: float | None
    satisfaction: float | None


class StatsOut(Schema):
    period: str
    label: str
    total: AgencyFigures
    agencies: list[AgencyFigures]


def _row(agency_id, node, f) -> dict:
    return {
        "agency_id": agency_id, "code": node.get("code", ""), "name": node.get("name", "Tổng cộng"),
        "received": f.received, "received_online": f.received_online, "online_rate": f.online_rate,
        "decided": f.decided_total, "on_time_rate": f.on_time_rate, "late": f.late_count, "in_progress": f.in_progress,
        "digitised_rate": f.digitised_rate, "electronic_result_rate": f.electronic_result_rate,
        "paid_online_rate": f.paid_online_rate, "satisfaction": f.satisfaction,
    }


@router.get("/indicators", response=StatsOut, summary="Chỉ số 766 theo cơ quan trong một kỳ")
def indicators(request, ky: str = "", co_quan: int | None = None):
    """Kỳ: `2025`, `2025-Q1` hoặc `2025-03` (mặc định tháng hiện tại); `co_quan`: chỉ cơ quan này và các đơn vị trực thuộc."""
    try:
        period = Period.parse(ky)
    except PeriodError as exc:
        raise HttpError(400, str(exc)) from None
    tree = AgencyTree()
    if co_quan is not None and co_quan not in tree.nodes:
        raise HttpError(404, "Không tìm thấy cơ quan.")
    scope = tree.subtree([co_quan]) if co_quan is not None else None
    report = reports.build(period, scope, co_quan, tree, with_trend=False, with_processing=False)
    return {
        "period": period.key, "label": period.label,
        "total": _row(None, {}, report.total),
        "agencies": [_row(r["agency_id"], tree.nodes[r["agency_id"]], r["fig"]) for r in report.ranking()],
    }


class RatingIn(Schema):
    dossier_id: int
    score: int
    comment: str = ""


class RatingOut(Schema):
    id: int
    dossier_id: int
    score: int
    comment: str


class Detail(Schema):
    detail: str


@router.post("/ratings", auth=api_auth, response={201: RatingOut, 400: Detail, 404: Detail},
             summary="Đánh giá mức độ hài lòng với việc giải quyết hồ sơ (5.4)")
def rate(request, payload: RatingIn):
    """Chủ hồ sơ đánh giá hồ sơ đã có kết quả: điểm 1–5 (1–2 là không hài lòng), mỗi hồ sơ một lần."""
    dossier = get_object_or_404(Dossier, pk=payload.dossier_id, owner=request.auth)
    try:
        rating = rate_dossier(dossier, request.auth, payload.score, payload.comment)
    except RatingError as exc:
        return Reply(400, {"detail": str(exc)})
    return Reply(201, rating)
