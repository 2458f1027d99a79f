import io
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from motcua.documents import services, signing
from motcua.documents.forms import render_form
from motcua.documents.models import Result
from motcua.dossiers.models import Dossier

pytestmark = pytest.mark.django_db


@pytest.fixture
def signer_ready(pki, dossier):
    signing.issue_agency_p12(dossier.competent_agency, overwrite=True)
    return dossier


def pdfsig(data: bytes, tmp_path) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True)
    return out.stdout + out.stderr


def test_dev_ca_command_creates_p12_per_agency(pki, dossier):
    call_command("dev-ca", dossier.competent_agency.code, "--overwrite", stdout=io.StringIO())
    p12 = signing.p12_path(dossier.competent_agency)
    assert p12.exists() and (pki / "ca.cert.pem").exists()
    # The key is protected by the configured password.
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, cert, chain = pkcs12.load_key_and_certificates(p12.read_bytes(), b"test-password")
    ku = cert.extensions.get_extension_for_class(__import__("cryptography").x509.KeyUsage).value
    assert ku.digital_signature and ku.content_commitment
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(p12.read_bytes(), b"wrong")


def test_issued_certificate_validates_with_pyhanko_and_pdfsig(signer_ready, tmp_path, django_user_model):
    dossier = signer_ready
    leader = django_user_model.objects.get(username="lanhdao.mau")
    result = services.issue_certificate(dossier, leader, "Giấy khai sinh")
    assert result.code == f"KQ.{services.result_prefix(dossier.competent_agency)}.000001"
    data = result.file.open("rb").read()
    assert services.sha256_hex(data) == result.sha256
    assert Dossier.objects.get(pk=dossier.pk).has_electronic_result is True

    # pyHanko, trusting only the development CA.
    sig = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    status = validate_pdf_signature(
        sig, ValidationContext(trust_roots=signing.trust_roots(), allow_fetching=False)
    )
    assert status.intact and status.valid and status.trusted
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    # poppler's pdfsig as an independent checker.
    out = pdfsig(data, tmp_path)
    assert "Signature is Valid." in out
    assert "ETSI.CAdES.detached" in out or "PAdES" in out
    assert "SHA256" in out or "SHA-256" in out


def test_certificate_qr_points_to_verification_page(signer_ready, tmp_path, django_user_model):
    from motcua.documents.tests.test_forms import qr_codes

    result = services.issue_certificate(signer_ready, None, "Giấy khai sinh")
    data = result.file.open("rb").read()
    assert qr_codes(data, tmp_path, "cert") == [f"https://dichvucong.example.vn/xac-thuc/{result.pk}/"]


def test_uploaded_result_is_signed_and_codes_are_sequential(signer_ready):
    pdf = render_form("receipt", signer_ready)
    first = services.issue_result(signer_ready, SimpleUploadedFile("kq.pdf", pdf, "application/pdf"), None, "Quyết định")
    second = services.issue_result(signer_ready, pdf, None, "Quyết định 2")
    assert int(second.code.rsplit(".", 1)[1]) == int(first.code.rsplit(".", 1)[1]) + 1
    assert signing.verify_pdf(second.file.open("rb").read()).ok


def test_issue_refuses_non_pdf_and_agency_without_certificate(pki, dossier):
    with pytest.raises(services.ResultError, match="PDF"):
        services.issue_result(dossier, b"hello", None, "x")
    signing.p12_path(dossier.competent_agency).unlink(missing_ok=True)
    with pytest.raises(services.ResultError, match="chứng thư"):
        services.issue_result(dossier, render_form("receipt", dossier), None, "x")
    assert not Result.objects.exists()  # nothing half-issued, no code used


def test_one_changed_byte_is_reported_invalid(signer_ready, client):
    result = services.issue_certificate(signer_ready, None, "Giấy khai sinh")
    data = bytearray(result.file.open("rb").read())
    # Change one byte inside the signed range (the page content, well before the signature).
    index = data.index(b"/MediaBox") + 2
    data[index] = ord("N") if data[index] != ord("N") else ord("M")
    report = signing.verify_pdf(bytes(data))
    assert not report.ok

    url = f"/xac-thuc/{result.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Kết quả số " + result.code in page.content.decode()
    assert result.sha256 in page.content.decode()

    good = client.post(url, {"file": SimpleUploadedFile("kq.pdf", result.file.open("rb").read(), "application/pdf")})
    assert "Văn bản hợp lệ." in good.content.decode()
    bad = client.post(url, {"file": SimpleUploadedFile("kq.pdf", bytes(data), "application/pdf")})
    assert bad.status_code == 200
    assert "Văn bản không hợp lệ." in bad.content.decode()
    assert "Văn bản hợp lệ." not in bad.content.decode()


def test_appended_bytes_after_signing_are_not_accepted(signer_ready, client):
    result = services.issue_certificate(signer_ready, None, "Giấy khai sinh")
    data = result.file.open("rb").read() + b"\n% extra\n"
    page = client.post(f"/xac-thuc/{result.pk}/", {"file": SimpleUploadedFile("kq.pdf", data, "application/pdf")})
    assert "Văn bản không hợp lệ." in page.content.decode() or "không trùng" in page.content.decode()
    assert "Văn bản hợp lệ." not in page.content.decode()


def test_generic_upload_finds_the_matching_result(signer_ready, client):
    result = services.issue_certificate(signer_ready, None, "Giấy khai sinh")
    page = client.post("/xac-thuc/", {"file": SimpleUploadedFile("kq.pdf", result.file.open("rb").read(), "application/pdf")})
    assert "Văn bản hợp lệ." in page.content.decode() and result.code in page.content.decode()


def test_untrusted_signer_is_invalid(signer_ready, settings, tmp_path):
    result = services.issue_certificate(signer_ready, None, "Giấy khai sinh")
    other = tmp_path / "other.pem"
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import datetime as dt

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Other CA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    other.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    settings.SIGNING_TRUST_ROOTS = [str(other)]
    report = signing.verify_pdf(result.file.open("rb").read())
    assert report.signatures and report.signatures[0].intact and not report.signatures[0].trusted
    assert not report.ok


def test_upload_limits_and_non_pdf(client, settings, db):
    page = client.post("/xac-thuc/", {"file": SimpleUploadedFile("a.txt", b"hello world", "text/plain")})
    assert page.status_code == 400 and "không phải là tệp PDF" in page.content.decode()
    settings.VERIFY_UPLOAD_MAX_BYTES = 100
    page = client.post("/xac-thuc/", {"file": SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * 200, "application/pdf")})
    assert page.status_code == 413 and "Tệp quá lớn" in page.content.decode()
    page = client.post("/xac-thuc/", {})
    assert page.status_code == 400
    assert client.get("/xac-thuc/999999/").status_code == 404
    # A file that claims to be a PDF but is garbage is "invalid", never a 500.
    page = client.post("/xac-thuc/", {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.7\ngarbage", "application/pdf")})
    assert page.status_code == 200 and "Văn bản không hợp lệ." in page.content.decode()


def test_verification_api(signer_ready, client):
    result = services.issue_certificate(signer_ready, None, "Giấy khai sinh")
    data = client.get(f"/api/v1/documents/results/{result.pk}/verification").json()
    assert data["valid"] is True and data["code"] == result.code and data["sha256"] == result.sha256
    assert data["issuer"] == signer_ready.competent_agency.name
    assert data["signatures"][0]["trusted"] is True
    missing = client.get("/api/v1/documents/results/999999/verification")
    assert missing.status_code == 404 and "detail" in missing.json()


@pytest.mark.django_db
def test_agency_with_a_long_vietnamese_name_gets_a_certificate(settings, tmp_path):
    """X.509 limits names to 64 bytes; a long Vietnamese agency name must still get its certificate."""
    from motcua.documents import signing
    from motcua.organisations.models import Agency

    settings.SIGNING_PKI_DIR = str(tmp_path / "pki")
    agency = Agency.objects.create(
        code="000.00.99.H31",
        name="Phòng Quản lý xử lý vi phạm hành chính và theo dõi thi hành pháp luật thuộc Sở Tư pháp",
        kind=Agency.Kind.DIVISION,
        level=Agency.Level.PROVINCE,
    )
    path = signing.issue_agency_p12(agency)
    assert path.exists() and path.stat().st_size > 0
