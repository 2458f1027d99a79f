import unicodedata

import pytest
from django.db import connection

from motcua.catalog import services
from motcua.catalog.search import SearchError, Vocabulary, within_one_edit

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


def test_expected_procedures_in_top_three(national_catalogue):
    for query, code in EXPECTED:
        results, total, facets = services.search_procedures(query)
        top = [p.code for p in results[:3]]
        assert code in top, (query, top)
        assert total >= 1


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
    by_field, n, _ = services.search_procedures("", field="ho-tich")
    assert n == facets["fields"][0]["count"] or n >= facets["fields"][0]["count"]
    assert all(p.field.code == "ho-tich" for p in by_field)


def test_ranking_prefers_popularity_on_equal_relevance(national_catalogue):
    from motcua.catalog.models import Procedure

    Procedure.objects.filter(code="1.010028").update(popularity=10)  # Xóa đăng ký tạm trú
    Procedure.objects.filter(code="1.004194").update(popularity=1000)
    results, _, _ = services.search_procedures("tam tru")
    assert results[0].code == "1.004194"


@pytest.mark.django_db
def test_invalid_parameters_raise_vietnamese_errors():
    with pytest.raises(SearchError, match="Cấp thực hiện không hợp lệ"):
        services.search_procedures("x", level="galaxy")
    with pytest.raises(SearchError, match="Số trang"):
        services.search_procedures("x", page=0)
    assert services.search_procedures("%_'\"*()\x00")[1] == 0


def test_edit_distance_and_vocabulary():
    assert within_one_edit("phep", "phpe") and within_one_edit("khai", "khia")
    assert within_one_edit("truu", "tru") and not within_one_edit("giay", "gioi")
    vocab = Vocabulary([" dang ky khai sinh", " giay phep lai xe"])
    assert vocab.corrections("khia") == ["khai"]
    assert vocab.corrections("dan") == []  # an existing prefix is not "corrected"


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_has_trigram_index():
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cur.fetchone()
        cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'catalog_procedure_search_trgm'")
        assert "gin_trgm_ops" in cur.fetchone()[0]
