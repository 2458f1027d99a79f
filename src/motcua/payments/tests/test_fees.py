import datetime as dt

import pytest

from motcua.payments.fees import compute_fee
from motcua.payments.models import CollectAt, CollectionPolicy, FeeRule

pytestmark = pytest.mark.django_db


def test_catalogue_amounts_per_channel(fee_procedure):
    online = compute_fee(fee_procedure, 2)
    assert online.total == 10000
    assert {line.kind: line.amount for line in online.lines} == {"le_phi": 8000, "phi": 2000}
    assert online.collect_at == CollectAt.BEFORE_PROCESSING
    assert "10.000 đ" in online.explanation
    assert compute_fee(fee_procedure, 1).total == 8000
    free = compute_fee(fee_procedure, 3)  # no post channel in the catalogue
    assert free.total == 0 and free.is_free and free.collect_at == CollectAt.NONE
    assert "không thu phí" in free.explanation


def test_online_reduction_by_resolution_rounds_to_dong(fee_procedure):
    FeeRule.objects.create(name="Nghị quyết 07/2025 giảm 50% khi nộp trực tuyến", channel=2, effect="percent_off",
                           percent=50, legal_basis="NQ 07/2025/NQ-HĐND")
    FeeRule.objects.create(name="Giảm 33% (thử làm tròn)", procedure=fee_procedure, channel=2, kind="phi",
                           effect="percent_off", percent=33)
    quote = compute_fee(fee_procedure, 2)
    lines = {line.kind: line for line in quote.lines}
    assert lines["le_phi"].amount == 4000
    assert lines["phi"].amount == 1000  # the larger reduction wins, reductions do not stack
    assert "Giảm 50%" in lines["le_phi"].notes[0] and "NQ 07/2025/NQ-HĐND" in lines["le_phi"].notes[0]
    assert quote.total == 5000
    assert compute_fee(fee_procedure, 1).total == 8000  # counter channel untouched


def test_exemption_for_listed_categories_only(fee_procedure):
    FeeRule.objects.create(name="Miễn lệ phí hộ tịch", kind="le_phi", effect="exempt",
                           applicant_categories=["nguoi_co_cong", "ho_ngheo"])
    assert compute_fee(fee_procedure, 2).total == 10000
    quote = compute_fee(fee_procedure, 2, "ho_ngheo")
    assert quote.total == 2000  # the phí is not exempt
    assert "Miễn lệ phí cho thành viên hộ nghèo" in quote.explanation


def test_amount_rule_dates_and_collection_policy(fee_procedure):
    FeeRule.objects.create(name="Mức thu mới", procedure=fee_procedure, kind="le_phi", effect="amount", amount=6000,
                           valid_from=dt.date(2030, 1, 1))
    assert compute_fee(fee_procedure, 2).total == 10000
    assert compute_fee(fee_procedure, 2, on=dt.date(2030, 6, 1)).total == 8000
    CollectionPolicy.objects.create(procedure=fee_procedure, collect_at=CollectAt.BEFORE_PROCESSING)
    CollectionPolicy.objects.create(procedure=fee_procedure, channel=2, collect_at=CollectAt.AT_RESULT)
    assert compute_fee(fee_procedure, 2).collect_at == CollectAt.AT_RESULT
    assert compute_fee(fee_procedure, 1).collect_at == CollectAt.BEFORE_PROCESSING


def test_quote_api_and_template_include(client, fee_procedure):
    from django.template.loader import render_to_string

    r = client.get("/api/v1/payments/quote", {"procedure": fee_procedure.code, "channel": 2})
    assert r.status_code == 200
    assert r.json()["total"] == 10000 and len(r.json()["lines"]) == 2
    assert client.get("/api/v1/payments/quote", {"procedure": fee_procedure.code, "channel": 9}).status_code == 422
    assert client.get("/api/v1/payments/quote", {"procedure": "0.000000"}).status_code == 404
    html = render_to_string("payments/fee_quote.html", {"quote": compute_fee(fee_procedure, 2)})
    assert "Phí, lệ phí" in html and "10.000" in html
