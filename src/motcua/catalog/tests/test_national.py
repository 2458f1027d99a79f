"""Tests on the 610 national records, imported once for this module (see ``national_catalogue``):
the import's coverage (issue 3, Done when), the code list, and search over a real catalogue."""

import json
import unicodedata
from io import StringIO

import pytest
from django.core.management import call_command

from motcua.catalog import services
from motcua.catalog.models import Procedure, SearchEntry

pytestmark = pytest.mark.usefixtures("db")

EXPECTED = [
    ("giay phep lai xe", "3.000346"),  # Cấp giấy phép lái xe
    ("dang ky khai sinh", "1.001193"),
    ("ĐĂNG KÝ TẠM TRÚ", "1.004194"),
    ("ly lich tu phap", "3.000333"),
    (unicodedata.normalize("NFD", "Đăng ký kết hôn"), "1.000894"),
    # one typo in each word
    ("dang ki khia sinh", "1.001193"),
    ("giay phpe lai xe", "3.000346"),
    ("dnag ky tam truu", "1.004194"),
    ("ly lihc tu phaap", "3.000333"),
    # prefixes, as typed
    ("đăng ký tạm t", "1.004194"),
    ("1.004194", "1.004194"),
]


# --------------------------------------------------------------------------- import


def test_all_national_records_import_without_crash(national_catalogue):
    summary = national_catalogue
    assert len(summary.files) == 610
    assert summary.errors == []
    assert Procedure.objects.count() == 610
    for key in ("time", "fee"):
        parsed, stated = summary.coverage()[key]
        assert stated > 400
        assert parsed / stated >= 0.9, key
    # Per-file report and structured values land in the database.
    p = Procedure.objects.get(code="1.004222")
    assert p.levels == ["commune"] and p.field.name == "Đăng ký, quản lý cư trú"
    online = p.channels.get(channel=2)
    assert (online.duration_value, online.duration_unit) == (7, "working_days")
    assert online.fees.get().amount == 10000
    assert p.components.count() > 5 and p.legal_bases
    # Every procedure has its search entry (written by the database triggers).
    assert SearchEntry.objects.count() == 610
    assert SearchEntry.objects.get(procedure=p).search_text == p.search_text + " "


def test_import_codes_sets_popularity_and_creates_name_only_procedures(national_catalogue, national_dir, tmp_path):
    # The real fields list, and the code lists cut to the entries of a few codes plus 40 others
    # (the whole lists are 2,000 entries: their loading is the same code, only slower).
    codes_dir = national_dir.parent / "national-codes"
    (tmp_path / "fields.json").write_bytes((codes_dir / "fields.json").read_bytes())
    wanted = {"1.004194", "1.001612"}
    expected_new = set()
    for name in ("citizen-services.json", "business-services.json"):
        items = json.loads((codes_dir / name).read_text(encoding="utf-8"))
        kept = [i for i in items if i.get("TTHC_MA") in wanted] + items[:20]
        (tmp_path / name).write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
        expected_new |= {i["TTHC_MA"] for i in kept if i.get("TTHC_MA") and i.get("NAME")}
    expected_new -= set(Procedure.objects.values_list("code", flat=True))
    before = Procedure.objects.count()
    out = StringIO()
    call_command("import-procedure-codes", str(tmp_path), stdout=out)
    assert "Thủ tục: thêm" in out.getvalue()
    assert expected_new and Procedure.objects.count() == before + len(expected_new)
    assert Procedure.objects.get(code="1.004194").popularity == 15539622  # an imported record, refreshed
    hkd = Procedure.objects.get(code="1.001612")
    assert hkd.name == "Đăng ký thành lập hộ kinh doanh" and hkd.applicant_types
    assert SearchEntry.objects.get(procedure=hkd).popularity == hkd.popularity


# --------------------------------------------------------------------------- search


def test_expected_procedures_in_top_three(national_catalogue):
    for query, code in EXPECTED:
        results, total, facets = services.search_procedures(query)
        top = [p.code for p in results[:3]]
        assert code in top, (query, top)
        assert total >= 1
        assert code in [p.code for p in services.suggest_procedures(query)[:3]], query


def test_facets_filters_and_pagination(national_catalogue):
    results, total, facets = services.search_procedures("ho tich")
    assert total > 20
    assert facets["fields"][0]["name"] == "Hộ tịch"
    levels = {f["code"]: f["count"] for f in facets["levels"]}
    assert levels["commune"] > 10
    commune, commune_total, _ = services.search_procedures("ho tich", level="commune")
    assert commune_total == levels["commune"]
    assert all("commune" in p.levels for p in commune)
    page2, _, _ = services.search_procedures("ho tich", page=2, per_page=5)
    page1, _, _ = services.search_procedures("ho tich", page=1, per_page=5)
    assert not {p.code for p in page1} & {p.code for p in page2}
    # Pages follow one ranking: the first ten equal pages one and two of five.
    first10, _, _ = services.search_procedures("ho tich", page=1, per_page=10)
    assert [p.code for p in first10] == [p.code for p in page1 + page2]
    by_field, n, field_facets = services.search_procedures("", field="ho-tich")
    assert n == facets["fields"][0]["count"] or n >= facets["fields"][0]["count"]
    assert all(p.field.code == "ho-tich" for p in by_field)
    assert [f["code"] for f in field_facets["fields"]] == ["ho-tich"]
    # A page past the end: no results, but the count and facets of the matches.
    beyond, beyond_total, beyond_facets = services.search_procedures("ho tich", page=50, per_page=20)
    assert beyond == [] and beyond_total == total and beyond_facets == facets


def test_ranking_prefers_popularity_on_equal_relevance(national_catalogue):
    Procedure.objects.filter(code="1.010028").update(popularity=10)  # Xóa đăng ký tạm trú
    Procedure.objects.filter(code="1.004194").update(popularity=1000)
    results, _, _ = services.search_procedures("tam tru")
    assert results[0].code == "1.004194"
    # And the other way round: popularity decides between equally relevant procedures.
    a, b = results[0], next(p for p in results[1:] if p.score == results[0].score)
    Procedure.objects.filter(code=b.code).update(popularity=a.popularity + 1)
    results, _, _ = services.search_procedures("tam tru")
    assert results[0].code == b.code


def test_exact_matches_first_typo_tolerance_only_when_they_are_few(national_catalogue):
    def texts(results):
        ids = [p.id for p in results]
        return dict(SearchEntry.objects.filter(procedure_id__in=ids).values_list("procedure_id", "search_text"))

    # "khai" is a word of the catalogue and finds enough: its neighbours ("khi", "khac"…) are not searched.
    results, total, _ = services.search_procedures("khai sinh", per_page=100)
    assert total >= 3
    assert all(" khai" in text and " sinh" in text for text in texts(results).values())
    # "khia" is not: it is read as "khai"; the results are those of the corrected query.
    typo, typo_total, _ = services.search_procedures("khia sinh", per_page=100)
    assert typo_total == total and [p.code for p in typo] == [p.code for p in results]
    # Nothing like the query at all: no results, no error.
    assert services.search_procedures("zzzqqq")[1] == 0
