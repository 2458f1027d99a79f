"""Factories for submission tests: a procedure "Đăng ký khai sinh" with its e-form, components and
online service, service points and a citizen. Tests never depend on the demo catalogue."""

from __future__ import annotations

import io
import zipfile

import pytest

BIRTH_SCHEMA = {
    "type": "object",
    "properties": {
        "child_name": {"type": "string", "title": "Họ, chữ đệm, tên người được khai sinh", "maxLength": 100},
        "child_birth_date": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "child_sex": {"type": "string", "title": "Giới tính", "enum": ["Nam", "Nữ"]},
        "birth_place": {"type": "string", "title": "Nơi sinh", "maxLength": 255},
        "mother_name": {"type": "string", "title": "Họ tên người mẹ", "maxLength": 100},
        "father_name": {"type": "string", "title": "Họ tên người cha", "maxLength": 100},
        "notes": {"type": "string", "title": "Ghi chú"},
    },
    "required": ["child_name", "child_birth_date", "child_sex", "birth_place", "mother_name"],
}
BIRTH_UI = {
    "sections": [
        {"title": "Người được khai sinh", "fields": ["child_name", "child_birth_date", "child_sex", "birth_place"]},
        {"title": "Cha, mẹ", "fields": ["mother_name", "father_name"]},
    ],
    "fields": {
        "child_name": {"widget": "text", "help": "Viết in hoa có dấu, như trên giấy chứng sinh.", "autocomplete": "off"},
        "child_sex": {"widget": "radio"},
        "notes": {"widget": "textarea"},
    },
}

VALID_CCCD = "001099012345"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def make_ooxml(kind: str = "docx") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        if kind == "docx":
            z.writestr("[Content_Types].xml", '<Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
            z.writestr("word/document.xml", "<w:document/>")
        else:
            z.writestr("[Content_Types].xml", '<Types><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>')
            z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


@pytest.fixture
def agencies(db):
    from motcua.organisations.models import Agency

    commune = Agency.objects.create(
        code="000.00.31.H26", name="UBND phường Hồng Bàng", kind="commune_committee", level="commune", is_service_point=True
    )
    centre = Agency.objects.create(
        code="000.00.00.H26", name="Trung tâm Phục vụ hành chính công thành phố", kind="service_centre", level="province",
        is_service_point=True,
    )
    return commune, centre


@pytest.fixture
def birth_procedure(agencies):
    from motcua.catalog.models import DocumentComponent, EForm, OnlineService, Procedure

    commune, centre = agencies
    procedure = Procedure.objects.create(code="1.001193", name="Đăng ký khai sinh", levels=["commune"])
    eform = EForm.objects.create(code="TK-KS", name="Tờ khai đăng ký khai sinh", schema=BIRTH_SCHEMA, ui=BIRTH_UI)
    DocumentComponent.objects.create(procedure=procedure, name="Giấy chứng sinh", required=True, order=1)
    DocumentComponent.objects.create(procedure=procedure, name="Giấy tờ tùy thân của người đi đăng ký", required=True, order=2)
    DocumentComponent.objects.create(procedure=procedure, name="Văn bản ủy quyền (nếu có)", required=False, order=3)
    service = OnlineService.objects.create(procedure=procedure, agency=commune, service_level="full", eform=eform)
    service.receiving_points.add(centre)
    return procedure


@pytest.fixture
def citizen(db):
    from motcua.accounts.models import User

    return User.objects.create_user(
        username="0912345678", password="mat-khau-dai-1", full_name="Nguyễn Văn An", phone="0912345678",
        identity_number=VALID_CCCD, email="an@example.vn", contact_confirmed=True,
    )


GOOD_FORM = {
    "child_name": "NGUYỄN THỊ BÌNH",
    "child_birth_date": "2026-10-01",
    "child_sex": "Nữ",
    "birth_place": "Bệnh viện Phụ sản Hải Phòng",
    "mother_name": "Trần Thị Cúc",
}


@pytest.fixture
def complete_draft(birth_procedure, citizen):
    """A draft with a valid e-form and both required files attached."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from motcua.dossiers.attachments import add_attachment
    from motcua.dossiers.submission import save_draft, start_draft

    dossier = start_draft(citizen, birth_procedure)
    result = save_draft(dossier, GOOD_FORM, eform_raw=GOOD_FORM, prefixed=False)
    assert not result.errors, result.errors
    for component in birth_procedure.components.filter(required=True):
        add_attachment(dossier, component, SimpleUploadedFile("giay.pdf", PDF + str(component.id).encode()), user=citizen)
    return dossier
