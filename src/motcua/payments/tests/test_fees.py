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


def test_case_channels_and_queries(fee_procedure, django_assert_num_queries):
    """A case's own channel replaces the general one; a case without one uses the general one.
    Channels with their fees, the rules and the collection policies are read in one query."""
    from motcua.catalog.models import Fee, ProcedureCase, ProcedureChannel

    own, other, unpriced = (ProcedureCase.objects.create(procedure=fee_procedure, name=n) for n in ("A", "B", "C"))
    channel = ProcedureChannel.objects.create(procedure=fee_procedure, channel=2, case=own, duration_value=1,
                                              duration_unit="working_days")
    Fee.objects.create(channel=channel, kind="le_phi", amount=20000)
    Fee.objects.create(channel=channel, kind="le_phi", amount=5000)
    ProcedureChannel.objects.create(procedure=fee_procedure, channel=2, case=unpriced, duration_value=1,
                                    duration_unit="working_days")
    with django_assert_num_queries(1):  # channels with fees, rules, policies: one statement
        quote = compute_fee(fee_procedure, 2, case=own)
    assert {line.kind: (line.base_amount, line.amount) for line in quote.lines} == {"le_phi": (25000, 25000)}
    assert compute_fee(fee_procedure, 2, case=other).total == 10000  # the general channel
    assert compute_fee(fee_procedure, 2).total == 10000
    with django_assert_num_queries(1):  # nothing to collect: the same one statement
        assert compute_fee(fee_procedure, 2, case=unpriced).collect_at == CollectAt.NONE
