"""Public tracking by code: the one-statement lookup and the shared in-memory rate limit."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.dossiers import ratelimit, tracking
from motcua.dossiers.models import Status
from motcua.dossiers.services import Actor, transition
from motcua.dossiers.submission import submit

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- the rate limit (memory store)


def test_memory_store_counts_per_window_scope_and_client(monkeypatch, settings):
    assert settings.RATE_LIMIT_STORE == "memory"
    clock = [1_800_000_010.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    with CaptureQueriesContext(connection) as queries:
        assert [tracking.rate_limited("t", "1.2.3.4", limit=3) for _ in range(5)] == [False, False, False, True, True]
    assert len(queries) == 0  # no database write per lookup
    assert not tracking.rate_limited("other", "1.2.3.4", limit=3)  # scopes count apart
    assert not tracking.rate_limited("t", "5.6.7.8", limit=3)  # and clients
    clock[0] += 49  # same window (it ends at 1_800_000_060)
    assert tracking.rate_limited("t", "1.2.3.4", limit=3)
    clock[0] += 1  # next window: counting starts again
    assert not tracking.rate_limited("t", "1.2.3.4", limit=3)
    assert ratelimit.hit("t", "1.2.3.4", 60) == 2


def test_collisions_only_over_count():
    """Keys sharing a slot in one row keep their own count (the other row); sharing both adds up."""
    counters = ratelimit.SharedCounters(slots=4)
    keys = [f"k{i}" for i in range(40)]
    offsets = {k: counters._offsets(k) for k in keys}
    a = keys[0]
    one_row = next(k for k in keys[1:] if offsets[k][0] == offsets[a][0] and offsets[k][1] != offsets[a][1])
    for _ in range(5):
        counters.hit(one_row, 100)
    assert counters.hit(a, 100) == 1
    both = next((k for k in keys[1:] if offsets[k] == offsets[a]), None)
    if both is not None:
        assert counters.hit(both, 100) >= 2  # over, never under


def _hammer(path: str, key: str, n: int, until: int) -> None:
    counters = ratelimit.SharedCounters(path)
    for _ in range(n):
        counters.hit(key, until)


def test_memory_store_is_shared_by_processes_and_threads_without_lost_hits(tmp_path):
    path = str(tmp_path / "ratelimit.bin")
    until = 4_000_000_000
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_hammer, args=(path, "track:9.9.9.9", 400, until)) for _ in range(3)]
    here = ratelimit.SharedCounters(path)
    threads = [threading.Thread(target=lambda: [here.hit("track:9.9.9.9", until) for _ in range(400)]) for _ in range(3)]
    for worker in procs + threads:
        worker.start()
    for worker in procs + threads:
        worker.join()
    assert all(p.exitcode == 0 for p in procs)
    assert here.hit("track:9.9.9.9", until) == 6 * 400 + 1
    assert ratelimit.SharedCounters(path).hit("track:1.1.1.1", until) == 1


def test_tracking_page_and_api_share_the_limit(client, complete_draft, citizen):
    dossier = submit(complete_draft, citizen)
    codes = [client.get("/tra-cuu", {"ma": dossier.code}).status_code for _ in range(10)]
    codes += [client.get(f"/api/v1/dossiers/tracking/{dossier.code}").status_code for _ in range(11)]
    assert codes[:20] == [200] * 20 and codes[20] == 429
    page = client.get("/tra-cuu", {"ma": dossier.code})
    assert page.status_code == 429 and "Bạn tra cứu quá nhiều lần" in page.content.decode()
    api = client.get(f"/api/v1/dossiers/tracking/{dossier.code}")
    assert api.status_code == 429 and "quá nhiều lần" in api.json()["detail"]


# ---------------------------------------------------------------- the lookup


def test_lookup_is_one_query_masked_with_timeline(complete_draft, citizen):
    dossier = submit(complete_draft, citizen)
    with CaptureQueriesContext(connection) as queries:
        found = tracking.lookup(dossier.code.lower(), results=True)
    assert len(queries) == 1
    view = found.view
    assert found.pk == dossier.pk and found.status == Status.SUBMITTED and found.results == []
    assert view["code"] == dossier.code and view["applicant"] == "N*** V*** A"
    assert view["procedure"] == dossier.procedure.name and view["receiving_agency"] == dossier.receiving_agency.name
    assert view["status_label"] == "Mới đăng ký" and view["submitted_at"] == dossier.submitted_at
    assert [(e["action"], e["status"]) for e in view["timeline"]] == [("Nộp hồ sơ trực tuyến", "Mới đăng ký")]
    assert view["timeline"][0]["at"].tzinfo is not None
    assert tracking.lookup("KHONG-CO") is None and tracking.lookup("  ") is None
    assert tracking.lookup(f" {dossier.code[:5]} {dossier.code[5:]} ").pk == dossier.pk  # spaces typed


def test_lookup_never_finds_drafts(complete_draft):
    complete_draft.code = "NHAP-0001"
    complete_draft.save(update_fields=["code"])
    assert tracking.lookup("NHAP-0001") is None


def test_lookup_lists_supplements_needed_and_returned_results(client, complete_draft, citizen, birth_procedure):
    from motcua.documents.models import Result

    dossier = submit(complete_draft, citizen)
    component = birth_procedure.components.order_by("order").first()
    desk = Actor(None, "reception", agency=dossier.receiving_agency)
    transition(dossier, "request_supplement", desk, note="Thiếu", data={"items": [{"component_id": component.pk, "note": "Ảnh bị mờ"}]})
    found = tracking.lookup(dossier.code)
    assert found.view["needed"] == [f"{component.name} – Ảnh bị mờ"]
    assert [e["action"] for e in found.view["timeline"]][-1] == "Yêu cầu bổ sung hồ sơ"
    # Results show on the page once the dossier is returned, electronic ones only, in order.
    for i, electronic in enumerate([True, False, True]):
        Result.objects.create(dossier=dossier, code=f"KQ-{i}", name=f"Giấy khai sinh {i}", sha256="", is_electronic=electronic,
                              signer_agency=dossier.receiving_agency)
    assert tracking.lookup(dossier.code, results=True).results == []  # not returned yet
    type(dossier).objects.filter(pk=dossier.pk).update(status=Status.RETURNED)
    found = tracking.lookup(dossier.code, results=True)
    assert [r["code"] for r in found.results] == ["KQ-0", "KQ-2"] and found.status == Status.RETURNED
    assert len(found.view["timeline"]) == 2  # results are not events
    assert tracking.lookup(dossier.code).results == []  # the API does not ask for them
    html = client.get("/tra-cuu", {"ma": dossier.code}).content.decode()
    assert "KQ-0" in html and "KQ-2" in html and "KQ-1" not in html and "Đã trả kết quả" in html


def test_tracking_page_shows_local_times_and_english(client, complete_draft, citizen):
    from django.utils import timezone

    dossier = submit(complete_draft, citizen)
    html = client.get("/tra-cuu", {"ma": dossier.code}).content.decode()
    local = timezone.localtime(dossier.submitted_at)
    assert local.strftime("%H:%M %d/%m/%Y") in html and f'datetime="{local.isoformat()}"' in html
    assert "Nộp hồ sơ trực tuyến → Mới đăng ký" in html and "Chưa có (hồ sơ chưa được tiếp nhận)" in html
    english = client.get("/tra-cuu", {"ma": dossier.code}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nộp hồ sơ" not in english and "Mới đăng ký" not in english


def test_tracking_api_answers_exactly_the_schema(client, complete_draft, citizen, birth_procedure):
    """The API renders ``lookup``'s view without pydantic: the same JSON as TrackingOut would give."""
    import json

    from ninja.responses import NinjaJSONEncoder

    from motcua.dossiers.api import TrackingOut

    dossier = submit(complete_draft, citizen)
    component = birth_procedure.components.order_by("order").first()
    transition(dossier, "request_supplement", Actor(None, "reception", agency=dossier.receiving_agency),
               data={"items": [{"component_id": component.pk, "note": "Ảnh bị mờ"}]})
    response = client.get(f"/api/v1/dossiers/tracking/{dossier.code.lower()}")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    view = tracking.lookup(dossier.code).view
    assert set(view) == set(TrackingOut.model_fields)
    expected = json.loads(json.dumps(TrackingOut.model_validate(view).model_dump(), cls=NinjaJSONEncoder))
    assert response.json() == expected
    assert expected["applicant"] == "N*** V*** A" and expected["needed"] == [f"{component.name} – Ảnh bị mờ"]
    assert "Nguyễn Văn An" not in response.content.decode()


def test_unusable_counters_file_falls_back_to_the_database(monkeypatch, settings, tmp_path, caplog):
    from motcua.dossiers.models import RateCounter

    (tmp_path / "ro").mkdir(mode=0o500)
    settings.RATE_LIMIT_FILE = str(tmp_path / "ro" / "sub" / "ratelimit.bin")
    monkeypatch.setattr(ratelimit, "_counters", None)
    if os.geteuid() == 0:  # root writes anywhere: make the file a folder instead
        settings.RATE_LIMIT_FILE = str(tmp_path)
    assert [tracking.rate_limited("t", "7.7.7.7", limit=1) for _ in range(2)] == [False, True]
    assert RateCounter.objects.get(key="t:7.7.7.7").hits == 2
    assert "unusable" in caplog.text


def test_tracking_page_timeline_markup_is_the_template_loops():
    """The timeline built in Python is byte for byte what the template loop gave, escaping included."""
    from django.template import Context, Template

    from motcua.portal.views import _timeline_html

    timeline = [
        {"iso": "2026-11-22T08:00:00+07:00", "text": "08:00 22/11/2026", "action": "Nộp <b>hồ sơ</b> & \"x\"", "status": "Mới đăng ký"},
        {"iso": "2026-11-22T09:00:00+07:00", "text": "09:00 22/11/2026", "action": "Ghi chú 'y'", "status": ""},
    ]
    loop = Template(
        '{% for e in timeline %}<li><time datetime="{{ e.iso }}">{{ e.text }}</time> – {{ e.action }}'
        "{% if e.status %} → {{ e.status }}{% endif %}</li>{% endfor %}"
    ).render(Context({"timeline": timeline}))
    assert _timeline_html(timeline) == loop
    assert "&lt;b&gt;" in loop
