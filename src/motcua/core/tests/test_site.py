import json
from pathlib import Path

import pytest

from motcua.core.text import fold, nfc

pytestmark = pytest.mark.django_db


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_home_page_is_vietnamese_and_light(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert "Tìm thủ tục hành chính" in html
    assert 'role="search"' in html
    assert len(response.content) < 150_000


def test_openapi_document_is_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.content)["openapi"].startswith("3.1")


def test_unknown_page_is_a_vietnamese_404(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()


def test_security_headers(client):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_configuration_doc_is_current():
    from django.core.management import call_command
    import io

    doc = Path(__file__).resolve().parents[4] / "docs" / "configuration.md"
    out = io.StringIO()
    call_command("configuration-doc", stdout=out)
    assert "| `DATABASE_URL` |" in out.getvalue()
    assert doc.read_text(encoding="utf-8").strip() == out.getvalue().strip(), (
        "docs/configuration.md is stale: run `motcua configuration-doc > docs/configuration.md`"
    )


@pytest.mark.parametrize(
    "raw, folded",
    [
        ("Đăng ký khai sinh", "dang ky khai sinh"),
        ("ĐĂNG KÝ TẠM TRÚ", "dang ky tam tru"),
        ("Lý lịch tư pháp", "ly lich tu phap"),
        ("  giấy\tphép  ", "giay phep"),
    ],
)
def test_fold(raw, folded):
    assert fold(raw) == folded


def test_fold_treats_nfd_like_nfc():
    import unicodedata

    text = "Chứng thực bản sao"
    assert fold(unicodedata.normalize("NFD", text)) == fold(text)
    assert nfc(unicodedata.normalize("NFD", text)) == text


@pytest.mark.parametrize(
    "path",
    ["/thu-tuc?q=a%00b", "/api/v1/procedures?agency=k%00x", "/tra-cuu?ma=%00"],
)
def test_nul_characters_are_refused_with_a_vietnamese_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "ký tự NUL" in response.content.decode()


def test_nul_in_a_json_body_is_refused(client):
    response = client.post("/api/v1/dossiers/drafts", data='{"summary": "a\\u0000b"}', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Dữ liệu gửi lên")
