import datetime as dt
import subprocess

import pytest
from django.utils import timezone

from motcua.documents.forms import ALL_FORMS, DOSSIER_FORMS, available_forms, control_slip_rows, render_form
from motcua.documents.models import FormTemplate
from motcua.documents.services import render_png, vn_date_line

pytestmark = pytest.mark.django_db

URL = "https://dichvucong.example.vn/tra-cuu?ma=000.00.01.H31-261105-0007"


def pdftotext(pdf: bytes) -> str:
    """The PDF's text as poppler extracts it, with runs of whitespace (line breaks) collapsed."""
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(out.split())


def qr_codes(pdf: bytes, tmp_path, name: str) -> list[str]:
    """Decode the QR codes of page 1 rendered like a scan: pdftoppm at 150 dpi, then zbarimg."""
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile", "-", str(tmp_path / name)],
        input=pdf, check=True, capture_output=True,
    )
    out = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / f"{name}.png")], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line]


def test_every_form_renders_one_a4_page_with_national_header(dossier):
    for code in ALL_FORMS:
        pdf = render_form(code, dossier, reason="Lý do thử nghiệm", new_date=timezone.now())
        assert pdf.startswith(b"%PDF-"), code
        text = pdftotext(pdf)
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text, code
        assert "Độc lập - Tự do - Hạnh phúc" in text, code
        assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG" in text or "SỞ TƯ PHÁP" in text, code
        assert "Hải Phòng, ngày" in text, code


def test_receipt_text_contains_title_code_and_appointment(dossier):
    text = pdftotext(render_form("receipt", dossier))
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in text
    assert dossier.code in text
    assert "16 giờ 30 phút, ngày 23/11/2026" in text
    assert "Giấy chứng sinh hoặc văn bản thay giấy chứng" in text
    assert "Hải Phòng, ngày 02 tháng 11 năm 2026" in text  # the received date, Decree 30/2020 style
    assert "15 ngày làm việc" in text


@pytest.mark.parametrize("code", DOSSIER_FORMS)
def test_qr_decodes_to_tracking_url(dossier, tmp_path, code):
    pdf = render_form(code, dossier, reason="x")
    assert qr_codes(pdf, tmp_path, code) == [URL]


def test_supplement_request_lists_items_from_event(dossier):
    text = pdftotext(render_form("supplement_request", dossier))
    assert "Cần bản sao có chứng thực" in text
    assert "Giấy tờ chứng minh nơi cư trú của cha" in text
    assert "Bổ sung trong 10 ngày làm việc" in text
    assert "Trần Văn Đức" in text


def test_stop_notice_and_refusal_show_the_reason(dossier):
    assert "thỏa thuận chọn quốc tịch" in pdftotext(render_form("stop_notice", dossier))
    text = pdftotext(render_form("refusal", dossier, reason="Không thuộc thẩm quyền"))
    assert "Không thuộc thẩm quyền" in text


def test_apology_has_old_and_new_dates(dossier):
    new = timezone.make_aware(dt.datetime(2026, 11, 30, 16, 0))
    text = pdftotext(render_form("apology", dossier, new_date=new, reason="Cần xác minh thêm"))
    assert "16 giờ 30 phút, ngày 23/11/2026" in text
    assert "16 giờ 00 phút, ngày 30/11/2026" in text
    assert "Cần xác minh thêm" in text


def test_control_slip_records_every_hand_over(dossier):
    rows = control_slip_rows(dossier)
    assert len(rows) == dossier.events.count() == 6
    accept = rows[1]
    assert accept["giver"] == "Nguyễn Thị Hạnh" and accept["outcome"] == "Tiếp nhận hồ sơ"
    transfer = rows[2]
    assert transfer["receiver"] == "Trần Văn Đức" and transfer["receiver_agency"] == "Sở Tư pháp thành phố Hải Phòng"
    text = pdftotext(render_form("control_slip", dossier))
    assert "Phạm Quốc Việt" in text and "Chuyển xử lý" in text


def test_register_lists_dossiers(dossier):
    text = pdftotext(render_form("register", None, dossiers=[dossier], agency=dossier.receiving_agency))
    assert "SỔ THEO DÕI HỒ SƠ" in text and dossier.code in text


def test_available_forms_follow_history(dossier):
    assert available_forms(dossier) == ["receipt", "supplement_request", "stop_notice", "control_slip"]


def test_active_db_template_overrides_file_and_keeps_layout(dossier, django_user_model):
    FormTemplate.objects.create(
        code="refusal", version=1, is_active=True,
        html='{% extends "documents/forms/base.html" %}{% block content %}<h1>Mẫu đã sửa</h1><p>{{ dossier.code }}</p>{% endblock %}',
    )
    text = pdftotext(render_form("refusal", dossier))
    assert "MẪU ĐÃ SỬA" in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text


def test_date_line_pads_day_and_early_months(dossier):
    agency = dossier.receiving_agency
    assert vn_date_line(agency, dt.date(2026, 2, 5)) == "Hải Phòng, ngày 05 tháng 02 năm 2026"
    assert vn_date_line(agency, dt.date(2026, 11, 15)) == "Hải Phòng, ngày 15 tháng 11 năm 2026"


def test_png_preview(dossier):
    assert render_png(render_form("receipt", dossier)).startswith(b"\x89PNG")
