import json
from io import StringIO

import pytest
from django.core.management import call_command

from motcua.catalog import services
from motcua.catalog.demo import DEMO_FILE
from motcua.catalog.models import Procedure, ProcedureVersion


@pytest.mark.django_db
def test_import_command_is_idempotent_and_reports_broken_files(tmp_path, national_dir):
    for code in ("1.004194", "1.001193"):
        src = next(national_dir.glob(f"*/{code}.json"))
        (tmp_path / src.name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "other.json").write_text('{"hello": 1}', encoding="utf-8")
    out = StringIO()
    call_command("import-procedures", str(tmp_path), stdout=out, verbosity=1)
    text = out.getvalue()
    assert "broken.json: LỖI, bỏ qua" in text and "other.json: LỖI, bỏ qua" in text
    assert "thêm 2, cập nhật 0, không đổi 0" in text
    assert "1.004194: " in text and "thời hạn: có" in text
    out = StringIO()
    call_command("import-procedures", str(tmp_path), stdout=out, verbosity=1)
    assert "thêm 0, cập nhật 0, không đổi 2" in out.getvalue()
    assert ProcedureVersion.objects.filter(procedure__code="1.004194").count() == 1


@pytest.mark.django_db
def test_content_change_bumps_version_and_keeps_old_snapshot():
    record = {"code": "9.000001", "name": "Thủ tục thử", "channels": [{"channel": 1, "duration_value": "5", "duration_unit": "working_days"}]}
    assert services.import_record(record) == "created"
    p = Procedure.objects.get(code="9.000001")
    v1 = services.current_version(p)
    assert v1.number == 1 and v1.snapshot["channels"][0]["duration_value"] == "5"
    assert services.import_record({**record, "popularity": 7}) == "unchanged"  # popularity is not content
    p.refresh_from_db()
    assert p.popularity == 7 and p.version == 1
    record["channels"][0]["duration_value"] = "3"
    assert services.import_record(record) == "updated"
    p.refresh_from_db()
    v2 = services.current_version(p)
    assert (p.version, v2.number) == (2, 2)
    assert v2.snapshot["channels"][0]["duration_value"] == "3"
    v1.refresh_from_db()
    assert v1.snapshot["channels"][0]["duration_value"] == "5"  # a dossier on v1 keeps what it was submitted under


@pytest.mark.django_db
def test_current_version_created_for_procedures_made_elsewhere():
    p = Procedure.objects.create(code="9.000002", name="Tạo trong trang quản trị")
    v = services.current_version(p)
    assert v.number == 1 and v.snapshot["name"] == "Tạo trong trang quản trị"
    assert services.current_version(p) == v


@pytest.mark.django_db
def test_round_trip_of_own_format_is_exact(tmp_path):
    document = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    counts = services.import_catalogue(document)
    assert counts["created"] == len(document["procedures"]) >= 40
    exported = services.export_catalogue()
    assert exported == document
    # And through the commands, byte for byte.
    first = tmp_path / "a.json"
    call_command("export-procedures", "-o", str(first))
    Procedure.objects.all().delete()
    call_command("import-procedures", str(first), stdout=StringIO(), verbosity=0)
    second = tmp_path / "b.json"
    call_command("export-procedures", "-o", str(second))
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.django_db
def test_bad_record_in_own_format_is_refused_with_a_vietnamese_message():
    with pytest.raises(services.CatalogueFormatError, match="kênh"):
        services.import_record({"code": "9.1", "name": "X", "channels": [{"channel": 9}]})
    assert not Procedure.objects.filter(code="9.1").exists()
