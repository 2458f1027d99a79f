"""Payments API (mounted at /api/v1/payments): fee quotes and a dossier's payments."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from motcua.catalog.models import Channel, Procedure
from motcua.dossiers.models import Dossier
from motcua.payments.fees import compute_fee
from motcua.payments.models import ApplicantCategory
from motcua.payments.views import can_view

router = Router()


class FeeLineOut(Schema):
    kind: str
    label: str
    base_amount: int
    amount: int
    notes: list[str]


class FeeQuoteOut(Schema):
    procedure: str
    channel: int
    total: int
    currency: str = "VND"
    collect_at: str
    explanation: str
    lines: list[FeeLineOut]


class PaymentOut(Schema):
    reference: str
    gateway: str
    amount: int
    currency: str
    state: str
    created_at: dt.datetime
    paid_at: dt.datetime | None
    expires_at: dt.datetime | None


@router.get("/quote", response=FeeQuoteOut, summary="Tính phí, lệ phí của một thủ tục")
def quote(request, procedure: str, channel: int = Channel.ONLINE, category: str | None = None):
    if channel not in Channel.values:
        raise HttpError(422, "Kênh thực hiện không hợp lệ (1 trực tiếp, 2 trực tuyến, 3 bưu chính).")
    if category and category not in ApplicantCategory.values:
        raise HttpError(422, "Đối tượng miễn, giảm không hợp lệ.")
    if "\x00" in procedure:
        raise HttpError(404, "Không tìm thấy thủ tục.")
    proc = get_object_or_404(Procedure, code=procedure, is_active=True)
    q = compute_fee(proc, channel, category)
    return {"procedure": proc.code, "channel": channel, "total": q.total, "collect_at": q.collect_at,
            "explanation": q.explanation, "lines": [line.as_dict() for line in q.lines]}


@router.get("/dossiers/{dossier_id}", response=list[PaymentOut], auth=django_auth,
            summary="Các giao dịch thanh toán của một hồ sơ")
def dossier_payments(request, dossier_id: int):
    dossier = get_object_or_404(Dossier, pk=dossier_id)
    if not can_view(request.user, dossier):
        raise HttpError(404, "Không tìm thấy dữ liệu yêu cầu.")
    return list(dossier.payments.order_by("-created_at"))
