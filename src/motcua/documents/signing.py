"""Server-side PAdES signing with each agency's PKCS#12, a development CA, and verification.

Keys stay on the server: one ``<agency code>.p12`` per agency under ``SIGNING_PKI_DIR/agencies``,
opened with ``SIGNING_P12_PASSWORD``. Signatures are PAdES baseline (``ETSI.CAdES.detached``,
SHA-256) with a visible stamp in Vietnamese. Verification trusts only ``SIGNING_TRUST_ROOTS``
(by default the development CA outside production).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

STAMP_FONT = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"
STAMP_BOX = (330, 30, 565, 95)  # PDF points on page 1: bottom right of an A4 page (uploaded results)
#: Inside the signer block of ``forms/certificate.html``: A4, right margin 15 mm, bottom margin 32 mm,
#: block 80 x 45 mm; the stamp takes its lower 33 mm.
CERTIFICATE_STAMP_BOX = (329, 93, 551, 183)
SIGNATURE_BYTES_RESERVED = 8192
_lock = threading.Lock()
_signer_cache: dict = {}


class SigningError(Exception):
    """The agency cannot sign (no certificate, wrong password, bad PDF): a 4xx for the user."""


def pki_dir() -> Path:
    return Path(settings.SIGNING_PKI_DIR)


def _safe(code: str) -> str:
    return re.sub(r"[^0-9A-Za-z._-]", "_", code)


def p12_path(agency) -> Path:
    return pki_dir() / "agencies" / f"{_safe(agency.code)}.p12"


def ca_cert_path() -> Path:
    return pki_dir() / "ca.cert.pem"


def p12_password() -> bytes:
    return (settings.SIGNING_P12_PASSWORD or "").encode()


# --- Development CA ----------------------------------------------------------------------------


def _fit(value: str, limit: int = 64) -> str:
    """Shorten to at most ``limit`` UTF-8 bytes (X.509 name attributes are limited in bytes, and
    Vietnamese letters take two or three), never cutting a character in half."""
    return value.encode("utf-8")[:limit].decode("utf-8", errors="ignore").strip()


def _name(common_name: str, org: str | None = None):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(org)))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, _fit(common_name)))
    return x509.Name(attrs)


def ensure_dev_ca(*, years: int = 10):
    """Load (or create) the development CA key and certificate under ``SIGNING_PKI_DIR``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    folder = pki_dir()
    key_path, cert_path = folder / "ca.key.pem", ca_cert_path()
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=p12_password() or None)
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes()), False
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    name = _name("MotCua Development CA (không dùng trong thực tế)", "MotCua")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(p12_password()) if p12_password() else serialization.NoEncryption()
    )
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, True


def issue_agency_p12(agency, *, years: int = 3, overwrite: bool = False) -> Path:
    """Create the agency's signing key and certificate (signed by the development CA) as PKCS#12."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID

    path = p12_path(agency)
    if path.exists() and not overwrite:
        return path
    ca_key, ca_cert, _ = ensure_dev_ca()
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(agency.name, agency.code))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(p12_password()) if p12_password() else serialization.NoEncryption()
    )
    data = pkcs12.serialize_key_and_certificates(
        agency.code.encode(), key, cert, [ca_cert], encryption
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)
    _signer_cache.pop(str(path), None)
    return path


# --- Signing ---------------------------------------------------------------------------------------


def _load_signer(agency):
    from pyhanko.sign import signers

    path = p12_path(agency)
    if not path.exists():
        raise SigningError(f"Cơ quan «{agency.name}» chưa có chứng thư số để ký (thiếu tệp {path.name}).")
    key = str(path)
    mtime = path.stat().st_mtime
    with _lock:
        cached = _signer_cache.get(key)
        if cached and cached[0] == mtime:
            return cached[1]
    signer = signers.SimpleSigner.load_pkcs12(key, passphrase=p12_password() or None)
    if signer is None:
        raise SigningError("Không mở được chứng thư số của cơ quan (sai mật khẩu hoặc tệp hỏng).")
    with _lock:
        _signer_cache[key] = (mtime, signer)
    return signer


#: Latin and Vietnamese letters, combining marks, punctuation, the đồng sign.
_STAMP_UNICODES = [
    *range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x300, 0x370), *range(0x1E00, 0x1F00), *range(0x2000, 0x2070), 0x20AB,
]


def _stamp_font_file() -> str:
    """A Latin + Vietnamese subset of the Noto stamp font, made once per machine.

    pyHanko subsets the embedded font again at each signature; doing that from the full Noto
    font (about 3,000 glyphs) costs around a second per signature, from this subset a few ms.
    """
    import tempfile

    source = Path(STAMP_FONT)
    stat = source.stat()
    target = Path(tempfile.gettempdir()) / f"motcua-stamp-{stat.st_size}-{int(stat.st_mtime)}.ttf"
    if target.exists():
        return str(target)
    with _lock:
        if not target.exists():
            from fontTools import subset

            options = subset.Options()
            options.layout_features = []
            options.name_IDs = ["*"]
            options.notdef_outline = True
            font = subset.load_font(str(source), options)
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=_STAMP_UNICODES)
            subsetter.subset(font)
            partial = target.with_suffix(f".{os.getpid()}.tmp")
            subset.save_font(font, str(partial), options)
            partial.replace(target)
    return str(target)


def _stamp_style():
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    return TextStampStyle(
        stamp_text="Ký bởi: %(signer)s\nCơ quan: %(agency)s\nThời gian ký: %(ts)s\n%(extra)s",
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(_stamp_font_file(), font_size=8), leading=11),
        timestamp_format="%H:%M:%S %d/%m/%Y",
        border_width=1,
    )


def sign_pdf(pdf: bytes, agency, reason: str, signer_name: str, *, extra_line: str = "",
             box: tuple[int, int, int, int] = STAMP_BOX) -> bytes:
    """Sign ``pdf`` as ``agency`` (PAdES, SHA-256) with a visible Vietnamese stamp on page 1."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.sign import fields, signers

    signer = _load_signer(agency)
    now = timezone.localtime()
    meta = signers.PdfSignatureMetadata(
        field_name=f"Sig{now:%Y%m%d%H%M%S%f}",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=agency.name,
        name=signer_name,
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except (PdfReadError, ValueError, KeyError) as exc:
        raise SigningError("Tệp PDF không hợp lệ, không thể ký.") from exc
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        stamp_style=_stamp_style(),
        new_field_spec=fields.SigFieldSpec(sig_field_name=meta.field_name, on_page=0, box=box),
    )
    out = pdf_signer.sign_pdf(
        writer,
        # A fixed reservation spares pyHanko a dummy signature to estimate the CMS size (our
        # ECDSA CMS with its two-certificate chain is about 2 kB).
        bytes_reserved=SIGNATURE_BYTES_RESERVED,
        appearance_text_params={"signer": signer_name, "agency": agency.name, "extra": extra_line},
    )
    return out.getvalue()


# --- Verification --------------------------------------------------------------------------------


def trust_roots():
    """Certificates of ``SIGNING_TRUST_ROOTS`` (PEM/DER files); the development CA when empty."""
    from asn1crypto import pem, x509 as asn1_x509

    paths = [Path(p) for p in settings.SIGNING_TRUST_ROOTS] or (
        [ca_cert_path()] if settings.MOTCUA_ENV != "production" else []
    )
    roots = []
    for path in paths:
        if not path.exists():
            continue
        data = path.read_bytes()
        if pem.detect(data):
            for _, _, der in pem.unarmor(data, multiple=True):
                roots.append(asn1_x509.Certificate.load(der))
        else:
            roots.append(asn1_x509.Certificate.load(data))
    return roots


@dataclass
class SignatureReport:
    field: str
    signer: str
    signed_at: dt.datetime | None
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool
    summary: str

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.covers_whole_file


@dataclass
class VerificationReport:
    is_pdf: bool
    signatures: list[SignatureReport] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.is_pdf and bool(self.signatures) and all(s.ok for s in self.signatures) and not self.error

    @property
    def message(self) -> str:
        if not self.is_pdf:
            return self.error or "Tệp không phải PDF."
        if self.error:
            return self.error
        if not self.signatures:
            return "Văn bản không có chữ ký số."
        if self.ok:
            return "Chữ ký số hợp lệ: văn bản do cơ quan có thẩm quyền ký và không bị thay đổi sau khi ký."
        return "Chữ ký số KHÔNG hợp lệ: văn bản đã bị thay đổi sau khi ký hoặc chứng thư không được tin cậy."


def verify_pdf(data: bytes) -> VerificationReport:
    """Check every signature of ``data`` with pyHanko against the configured trust roots."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    if not data.startswith(b"%PDF-"):
        return VerificationReport(is_pdf=False, error="Tệp tải lên không phải là tệp PDF.")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception:  # any parse failure of an untrusted upload is "not a valid PDF"
        return VerificationReport(is_pdf=False, error="Không đọc được tệp PDF (tệp hỏng hoặc đã bị sửa).")
    report = VerificationReport(is_pdf=True)
    roots = trust_roots()
    for sig in embedded:
        try:
            vc = ValidationContext(trust_roots=roots, allow_fetching=False)
            status = validate_pdf_signature(sig, vc)
            signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
            coverage = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
            report.signatures.append(
                SignatureReport(
                    field=sig.field_name,
                    signer=signer,
                    signed_at=status.signer_reported_dt,
                    intact=bool(status.intact),
                    valid=bool(status.valid),
                    trusted=bool(status.trusted),
                    covers_whole_file=coverage,
                    summary=status.summary(),
                )
            )
        except Exception as exc:  # a broken signature is a failed check, never a 500
            report.signatures.append(
                SignatureReport(
                    field=getattr(sig, "field_name", "?"), signer="", signed_at=None, intact=False, valid=False,
                    trusted=False, covers_whole_file=False, summary=f"Lỗi kiểm tra: {exc.__class__.__name__}",
                )
            )
    return report
