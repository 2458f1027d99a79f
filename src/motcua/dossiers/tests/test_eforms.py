import unicodedata

from django.http import QueryDict

from motcua.dossiers import eforms
from motcua.dossiers.tests.conftest import BIRTH_SCHEMA, BIRTH_UI


def test_render_is_accessible_and_escaped():
    html = eforms.render(
        BIRTH_SCHEMA,
        BIRTH_UI,
        {"child_name": '<script>alert(1)</script>', "child_sex": "Nữ"},
        {"birth_place": "Trường này là bắt buộc."},
    )
    # one label per input, tied by id
    assert '<label for="ef_child_name">Họ, chữ đệm, tên người được khai sinh' in html
    assert 'aria-describedby="ef_child_name-help"' in html
    assert 'id="ef_child_name-help"' in html
    # error next to the field, announced
    assert 'aria-invalid="true"' in html and 'id="ef_birth_place-error"' in html
    assert 'aria-describedby="ef_birth_place-error"' in html
    # required marked both for browsers and visually
    assert 'name="ef_child_name" required' in html or ('name="ef_child_name"' in html and "required" in html)
    assert "<script>" not in html and "&lt;script&gt;" in html
    # radio group in a fieldset with legend, chosen value checked
    assert "<legend>Giới tính" in html and 'value="Nữ" checked' in html
    assert '<input type="date"' in html
    assert "<legend>Người được khai sinh</legend>" in html
    assert "<textarea" in html  # notes


def test_validate_vietnamese_messages():
    result = eforms.clean(BIRTH_SCHEMA, QueryDict("ef_child_name=A&ef_child_birth_date=31-12-2026&ef_child_sex=Khac"))
    assert result.errors["child_birth_date"].startswith("Ngày không hợp lệ")
    assert result.errors["child_sex"] == "Giá trị không nằm trong danh sách cho phép."
    assert result.errors["mother_name"] == "Trường này là bắt buộc."
    partial = eforms.clean(BIRTH_SCHEMA, QueryDict("ef_child_name=A"), partial=True)
    assert partial.ok


def test_strings_are_nfc_and_capped():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Bình")
    result = eforms.clean(BIRTH_SCHEMA, {"child_name": decomposed}, partial=True, prefixed=False)
    assert result.data["child_name"] == unicodedata.normalize("NFC", "Nguyễn Thị Bình")
    too_long = eforms.clean(BIRTH_SCHEMA, {"notes": "x" * 10_000}, partial=True, prefixed=False)
    assert "notes" not in too_long.data
    assert "tối đa 2.000 ký tự" in too_long.errors["notes"]
    over_schema = eforms.clean(BIRTH_SCHEMA, {"child_name": "x" * 101}, partial=True, prefixed=False)
    assert "tối đa 100 ký tự" in over_schema.errors["child_name"]


def test_cccd_format_in_eforms():
    schema = {"type": "object", "properties": {"id": {"type": "string", "format": "cccd", "title": "CCCD"}}}
    assert "CCCD" in eforms.clean(schema, {"id": "12345"}, prefixed=False).errors["id"]
    assert eforms.clean(schema, {"id": "001099012345"}, prefixed=False).ok
