"""Search on small catalogues made in the test (the real one: test_national.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.catalog import services
from motcua.catalog.models import Field, Procedure, SearchEntry
from motcua.catalog.search import SearchError, Vocabulary, within_one_edit


@pytest.mark.django_db
def test_invalid_parameters_raise_vietnamese_errors():
    with pytest.raises(SearchError, match="Cấp thực hiện không hợp lệ"):
        services.search_procedures("x", level="galaxy")
    with pytest.raises(SearchError, match="Số trang"):
        services.search_procedures("x", page=0)
    with pytest.raises(SearchError, match="Mức độ dịch vụ"):
        services.search_procedures("x", service_level="all")
    assert services.search_procedures("%_'\"*()\x00")[1] == 0


def test_edit_distance_and_vocabulary():
    assert within_one_edit("phep", "phpe") and within_one_edit("khai", "khia")
    assert within_one_edit("truu", "tru") and not within_one_edit("giay", "gioi")
    vocab = Vocabulary([" dang ky khai sinh", " giay phep lai xe"])
    assert vocab.corrections("khia") == ["khai"]
    assert vocab.corrections("dan") == []  # an existing prefix is not "corrected"


def test_corrections_prefer_frequent_words_and_are_limited():
    vocab = Vocabulary([" dang ky", " dang ky lai", " hang hoa", " dung cu", " sang che", " dang"])
    assert vocab.corrections("dagn") == ["dang"]
    assert vocab.corrections("vang") == ["dang", "hang", "sang"]  # "dang" is in three texts
    assert vocab.corrections("vang", limit=2) == ["dang", "hang"]


@pytest.mark.django_db
def test_search_entry_follows_the_procedure_whatever_writes_it():
    field = Field.objects.create(code="ho-tich", name="Hộ tịch")
    p = Procedure.objects.create(code="9.000010", name="Đăng ký khai sinh", field=field, levels=["commune"], popularity=5)
    entry = SearchEntry.objects.get(procedure=p)
    assert entry.search_text == " dang ky khai sinh ho tich 9 000010 "
    assert (entry.levels_key, entry.field_id, entry.popularity, entry.name_length, entry.code) == (" commune ", field.id, 5, 17, "9.000010")
    # Bulk writes that skip save() and signals are followed too (the triggers are in the database).
    Procedure.objects.filter(pk=p.pk).update(popularity=42, is_active=False)
    entry.refresh_from_db()
    assert (entry.popularity, entry.is_active) == (42, False)
    assert services.search_procedures("khai sinh")[1] == 0  # inactive procedures are not found
    bulk = Procedure(code="9.000011", name="Đăng ký kết hôn")
    bulk.refresh_search_text()
    Procedure.objects.bulk_create([bulk])
    assert services.search_procedures("ket hon")[0][0].code == "9.000011"
    Procedure.objects.filter(code="9.000011").delete()
    assert not SearchEntry.objects.filter(code="9.000011").exists()


@pytest.mark.django_db
def test_results_facets_and_count_come_from_one_query():
    field = Field.objects.create(code="cu-tru", name="Cư trú")
    for i in range(30):
        services.import_record({"code": f"9.{i:06d}", "name": f"Đăng ký tạm trú trường hợp {i}", "field": {"code": "cu-tru", "name": "Cư trú"}})
    services.import_record({"code": "9.100000", "name": "Xóa đăng ký tạm trú"})
    # The first search after a change of the catalogue sees a new version and rebuilds this
    # process's index (one more query); later searches: one query (the version).
    with CaptureQueriesContext(connection) as queries:
        services.search_procedures("dang ky tam tru", per_page=10)
    assert len(queries) == 2
    with CaptureQueriesContext(connection) as queries:
        results, total, facets = services.search_procedures("dang ky tam tru", per_page=10)
    assert len(queries) == 1
    assert total == 31 and len(results) == 10
    assert facets["fields"] == [{"code": "cu-tru", "name": field.name, "count": 30}]
    # Shortest names first among equals; the phrase at the start ranks above it inside the name.
    assert results[0].code == "9.000000" and "9.100000" not in [p.code for p in results]
    assert services.search_procedures("xoa dang ky")[0][0].code == "9.100000"
    with CaptureQueriesContext(connection) as queries:
        assert [p.code for p in services.suggest_procedures("tam tru", limit=3)] == ["9.100000", "9.000000", "9.000001"]
    assert len(queries) == 1


@pytest.mark.django_db
def test_short_words_and_codes():
    services.import_record({"code": "1.000001", "name": "Cấp giấy phép lái xe hạng A"})
    services.import_record({"code": "1.000002", "name": "Cấp giấy phép xây dựng"})
    assert [p.code for p in services.search_procedures("giay phep xe")[0]] == ["1.000001"]
    assert [p.code for p in services.search_procedures("lai xe a")[0]] == ["1.000001"]
    assert [p.code for p in services.search_procedures("1.000002")[0]] == ["1.000002"]
    assert [p.code for p in services.search_procedures("GIẤY PHÉP X")[0]] == ["1.000002", "1.000001"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_has_trigram_index_and_uses_it():
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cur.fetchone()
        cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'catalog_searchentry_trgm'")
        assert "gin_trgm_ops" in cur.fetchone()[0]
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN SELECT procedure_id FROM catalog_searchentry WHERE search_text LIKE '% khai%'")
        assert "catalog_searchentry_trgm" in "\n".join(row[0] for row in cur.fetchall())


@pytest.mark.django_db
def test_index_follows_every_catalogue_change_and_rollback():
    """The in-process index is rebuilt whenever the catalogue version token changed, whoever
    changed it: raw SQL here stands for another process (no Python signal is involved)."""
    from django.db import transaction

    from motcua.catalog import search

    field = Field.objects.create(code="ho-tich", name="Hộ tịch")
    p = Procedure.objects.create(code="9.000020", name="Đăng ký khai sinh", field=field, popularity=5)
    assert [h.code for h in services.search_procedures("khai sinh")[0]] == ["9.000020"]
    built = search._index
    with connection.cursor() as cur:
        cur.execute("UPDATE catalog_procedure SET name = %s, search_text = %s WHERE id = %s", ["Đăng ký kết hôn", " dang ky ket hon", p.id])
    with CaptureQueriesContext(connection) as queries:
        assert services.search_procedures("khai sinh")[1] == 0
    assert len(queries) == 2  # the version, then the rebuild
    assert search._index is not built
    assert [h.name for h in services.search_procedures("ket hon")[0]] == ["Đăng ký kết hôn"]
    # Field names shown in the facets follow renames (the version covers catalog_field too).
    with connection.cursor() as cur:
        cur.execute("UPDATE catalog_field SET name = %s WHERE id = %s", ["Hộ tịch (mới)", field.id])
    assert services.search_procedures("ket hon")[2]["fields"] == [{"code": "ho-tich", "name": "Hộ tịch (mới)", "count": 1}]
    # A change rolled back after a search saw it: the index built on it is not kept.
    with transaction.atomic():
        Procedure.objects.create(code="9.000021", name="Đăng ký kết hôn lưu động")
        assert services.search_procedures("ket hon")[1] == 2
        transaction.set_rollback(True)
    assert [h.code for h in services.search_procedures("ket hon")[0]] == ["9.000020"]
    # Deletes, and bulk writes that skip save().
    Procedure.objects.filter(pk=p.pk).delete()
    assert services.search_procedures("ket hon")[1] == 0
    Procedure.objects.bulk_create([Procedure(code="9.000022", name="Đăng ký kết hôn", search_text=" dang ky ket hon")])
    assert [h.code for h in services.suggest_procedures("ket hon")] == ["9.000022"]


@pytest.mark.django_db
def test_online_flag_and_service_filters_are_read_live():
    from motcua.catalog.models import OnlineService
    from motcua.organisations.models import Agency

    agency = Agency.objects.create(code="000.00.01.H31", name="UBND phường Hồng Bàng", kind="commune_committee", level="commune")
    p = Procedure.objects.create(code="9.000030", name="Đăng ký khai sinh")
    Procedure.objects.create(code="9.000031", name="Đăng ký khai sinh lưu động")
    assert [h.online for h in services.search_procedures("khai sinh")[0]] == [False, False]
    OnlineService.objects.create(procedure=p, agency=agency, service_level="full")
    results, total, _ = services.search_procedures("khai sinh")
    assert [(h.code, h.online) for h in results] == [("9.000030", True), ("9.000031", False)]
    assert [h.code for h in services.search_procedures("khai sinh", service_level="full")[0]] == ["9.000030"]
    assert [h.code for h in services.search_procedures("khai sinh", agency="000.00.01.H31")[0]] == ["9.000030"]
    assert services.search_procedures("khai sinh", agency="000.00.01.H31", service_level="partial")[1] == 0
    # A service made "information only" no longer counts as online; a deleted one neither.
    OnlineService.objects.filter(procedure=p).update(service_level="information")
    assert [h.online for h in services.search_procedures("khai sinh")[0]] == [False, False]
    OnlineService.objects.filter(procedure=p).update(service_level="partial")
    assert [h.online for h in services.search_procedures("khai sinh")[0]] == [True, False]
    OnlineService.objects.filter(procedure=p).delete()
    assert [h.online for h in services.search_procedures("khai sinh")[0]] == [False, False]


def test_threads_seeing_a_new_version_rebuild_the_index_once(monkeypatch):
    import threading
    import time

    from motcua.catalog import search

    built = []

    def build():
        time.sleep(0.05)  # long enough for the other threads to arrive
        index = search.SearchIndex(7, [])
        built.append(index)
        search._index = index
        return index

    monkeypatch.setattr(search, "_index", search.SearchIndex(6, []))
    monkeypatch.setattr(search, "_current_token", lambda: 7)
    monkeypatch.setattr(search, "_build_index", build)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(search.search_index())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and seen == built * 4


CHILD = """
import json, sys
import django
django.setup()
from motcua.catalog.services import search_procedures
for line in sys.stdin:
    print(json.dumps([h.code for h in search_procedures(line.strip())[0]]), flush=True)
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_another_worker_process_sees_committed_catalogue_changes():
    """A separate process (as a granian worker) keeps its index across searches and rebuilds it
    when this process commits a change to procedures, fields or online services."""
    import json
    import os
    import subprocess
    import sys
    from urllib.parse import quote

    from django.conf import settings

    db = settings.DATABASES["default"]
    url = f"postgres://{quote(db['USER'] or '')}:{quote(db['PASSWORD'] or '')}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "motcua.settings"}
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

    def search(q):
        child.stdin.write(q + "\n")
        child.stdin.flush()
        return json.loads(child.stdout.readline())

    try:
        p = Procedure.objects.create(code="9.000040", name="Đăng ký khai sinh")
        assert search("khai sinh") == ["9.000040"]
        Procedure.objects.filter(pk=p.pk).update(name="Đăng ký kết hôn", search_text=" dang ky ket hon")
        assert search("khai sinh") == [] and search("ket hon") == ["9.000040"]
        Procedure.objects.create(code="9.000041", name="Đăng ký kết hôn lưu động", popularity=9)
        assert search("ket hon") == ["9.000041", "9.000040"]
        Procedure.objects.filter(code="9.000041").delete()
        assert search("ket hon") == ["9.000040"]
    finally:
        child.stdin.close()
        child.wait(timeout=30)


def test_index_word_pairs_and_phrases_match_like_semantics():
    """The index's masks answer exactly what the LIKE patterns of the SQL search did."""
    from motcua.catalog.search import SearchIndex, Token, _ranks

    texts = [" dang ky khai sinh dang ky ", " xoa dang ky tam tru ", " dang kyx ", " ky dang ", " dang ky kiem ", " khai sinh "]
    rows = [(i + 1, t, " commune ", None, 0, len(t), f"9.{i:06d}", True, None, None, t, "[]", False) for i, t in enumerate(texts)]
    index = SearchIndex(1, rows)

    def docs(mask):
        return sorted(index.texts[r] for r in _ranks(mask))

    def like(pattern):  # "%text%" (contains) or "text%" (starts with)
        inner = pattern.strip("%")
        return sorted(t for t in texts if (inner in t if pattern.startswith("%") else t.startswith(inner)))

    assert docs(index.pair("dang", "ky", prefix=False)) == like("% dang ky %")
    assert docs(index.pair("dang", "ky", prefix=True)) == like("% dang ky%")
    assert docs(index.pair("ky", "k", prefix=True)) == like("% ky k%")
    assert docs(index.pair("sinh", "dang", prefix=False)) == like("% sinh dang %")
    assert index.pair("zz", "ky", prefix=True) == 0
    assert docs(index.prefix("ky")) == like("% ky%") and docs(index.whole("ky")) == like("% ky %")
    assert docs(index.starting(" dang ky")) == like(" dang ky%")
    # Three words: pairs narrow the candidates, the text decides.
    tokens = [Token(w, [w]) for w in ("dang", "ky", "k")]
    terms = dict((w, m) for w, m in index._terms(tokens, index.active) if w == 10)
    assert docs(terms[10]) == like("% dang ky k%")
