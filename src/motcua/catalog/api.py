"""Catalogue API, mounted at /api/v1/procedures."""

from __future__ import annotations

from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Field as SchemaField
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from . import services
from .models import OnlineService, Procedure
from .search import MAX_COUNT, SearchError

router = Router()

# "" means "any"; no null, so query strings never carry a literal "null".
LevelCode = Literal["", "ministry", "province", "district", "commune"]
ServiceLevelCode = Literal["", "information", "partial", "full"]


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    field: str
    message: str


class ValidationErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut]


# Text parameters never carry NUL (PostgreSQL cannot store it; the NUL filter answers 400).
NO_NUL = r"^[^\x00]*$"


class SearchParams(Schema):
    q: str = SchemaField("", max_length=200, pattern=NO_NUL, description="Từ khóa (không phân biệt dấu, hoa thường)")
    field: str = SchemaField("", max_length=40, pattern=NO_NUL, description="Mã lĩnh vực")
    level: LevelCode = SchemaField("", description="Cấp thực hiện")
    agency: str = SchemaField("", max_length=40, pattern=NO_NUL, description="Mã định danh cơ quan có dịch vụ trực tuyến")
    service_level: ServiceLevelCode = SchemaField("", description="Mức độ dịch vụ trực tuyến")
    page: int = SchemaField(1, ge=1, le=500)
    per_page: int = SchemaField(20, ge=1, le=100)


class FieldOut(Schema):
    code: str
    name: str


class ProcedureSummary(Schema):
    code: str
    name: str
    field: FieldOut | None
    levels: list[str]
    popularity: int
    online: bool
    url: str


class FacetOut(Schema):
    code: str
    name: str
    count: int


class FacetsOut(Schema):
    fields: list[FacetOut]
    levels: list[FacetOut]


class SearchOut(Schema):
    count: int = SchemaField(description=f"Số kết quả; lớn hơn {MAX_COUNT} nghĩa là «hơn {MAX_COUNT}»")
    count_exact: bool
    page: int
    per_page: int
    has_more: bool
    results: list[ProcedureSummary]
    facets: FacetsOut


class FeeOut(Schema):
    kind: str
    amount: int
    currency: str
    description: str


class ChannelOut(Schema):
    channel: int
    case: str | None
    duration_value: str | None
    duration_unit: str
    description: str
    raw_text: str
    fees: list[FeeOut]


class ComponentOut(Schema):
    case: str | None
    code: str
    name: str
    form: str
    quantity: int
    required: bool
    template_name: str
    template_file: str
    template_url: str
    group: str
    eform: str | None
    order: int


class OnlineServiceOut(Schema):
    agency_code: str
    agency_name: str
    service_level: str
    receiving_points: list[str]


class ProcedureDetail(Schema):
    code: str
    name: str
    version: int
    field: FieldOut | None
    levels: list[str]
    applicant_types: list[str]
    procedure_type: str
    competent_agency: str
    implementing_agency: str
    coordinating_agency: str
    steps: str
    conditions: str
    legal_bases: list[dict]
    results: list[dict]
    publishing_decision: str
    source_url: str
    popularity: int
    is_active: bool
    channels: list[ChannelOut]
    components: list[ComponentOut]
    online_services: list[OnlineServiceOut]


@router.get("", response={200: SearchOut, 400: ErrorOut, 422: ValidationErrorOut}, summary="Tìm kiếm thủ tục hành chính")
def search(request, params: Query[SearchParams]):
    try:
        results, total, facets = services.search_procedures(
            q=params.q,
            field=params.field or None,
            level=params.level or None,
            agency=params.agency or None,
            service_level=params.service_level or None,
            page=params.page,
            per_page=params.per_page,
        )
    except SearchError as exc:
        raise HttpError(400, str(exc)) from exc
    # Rendered directly: the body is built here from typed values in SearchOut's shape (checked by
    # test_api_search_answer_has_the_documented_schema); ninja's validation of every result field
    # cost half of the request's CPU.
    from motcua.api import api  # the project's NinjaAPI (its renderer); imported late: it imports this module

    return api.create_response(request, {
        "count": total,
        "count_exact": total <= MAX_COUNT,
        "page": params.page,
        "per_page": params.per_page,
        "has_more": params.page * params.per_page < total,
        "results": [
            {
                "code": p.code,
                "name": p.name,
                "field": {"code": p.field.code, "name": p.field.name} if p.field_id else None,
                "levels": p.levels or [],
                "popularity": p.popularity,
                "online": p.online,
                "url": f"/thu-tuc/{p.code}",
            }
            for p in results
        ],
        "facets": facets,
    }, status=200)


@router.get("/{code}", response={200: ProcedureDetail, 404: ErrorOut, 422: ValidationErrorOut}, summary="Chi tiết thủ tục hành chính")
def detail(request, code: str):
    procedure = get_object_or_404(services._prefetched(Procedure.objects.all()), code=code[:20])
    data = services.export_procedure(procedure)
    data["version"] = procedure.version
    data["online_services"] = [
        {
            "agency_code": s.agency.code,
            "agency_name": s.agency.name,
            "service_level": s.service_level,
            "receiving_points": [a.code for a in s.receiving_points.all()],
        }
        for s in OnlineService.objects.filter(procedure=procedure).select_related("agency").prefetch_related("receiving_points")
    ]
    return data
