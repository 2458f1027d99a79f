"""Rendering of documents to PDF (WeasyPrint), QR codes, and the business rules of results.

Templates live under ``documents/templates/documents/forms/``; an active :class:`FormTemplate`
row in the database overrides the file template of the same code, so an administrator can
correct a form without a release.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import time
from functools import lru_cache

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template import engines
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import mark_safe

logger = logging.getLogger(__name__)

FORMS_DIR = "documents/forms/"

WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]
_PLACE_PREFIXES = ("Thành phố ", "Tỉnh ", "Phường ", "Xã ", "Đặc khu ", "Thị trấn ", "Quận ", "Huyện ", "Thị xã ")


class PdfFetchRefused(ValueError):
    pass


def _url_fetcher(url: str, *args, **kwargs):
    """Only ``data:`` URLs: an edited template must not make the server fetch anything."""
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url, *args, **kwargs)
    raise PdfFetchRefused(f"Không tải tài nguyên ngoài khi tạo PDF: {url[:80]}")


def template_code(template_name: str) -> str | None:
    """``documents/forms/receipt.html`` -> ``receipt`` (None for templates outside the forms folder)."""
    if template_name.startswith(FORMS_DIR) and template_name.endswith(".html"):
        return template_name[len(FORMS_DIR) : -len(".html")]
    return None


def load_template(template_name: str, *, html_override: str | None = None):
    """The active database version of a form if there is one, else the file template."""
    if html_override is not None:
        return engines["django"].from_string(html_override)
    code = template_code(template_name)
    if code:
        from motcua.documents.models import FormTemplate

        active = FormTemplate.objects.filter(code=code, is_active=True).only("html").order_by("-version").first()
        if active is not None:
            return engines["django"].from_string(active.html)
    return get_template(template_name)


@lru_cache(maxsize=1)
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def render_html(template_name: str, context: dict, *, html_override: str | None = None) -> str:
    ctx = {"SITE_URL": settings.SITE_URL, **context}
    return load_template(template_name, html_override=html_override).render(ctx)


def render_pdf(template_name: str, context: dict, *, html_override: str | None = None) -> bytes:
    """Render a Django HTML template to an A4 PDF with WeasyPrint (fonts: Liberation Serif, Noto Serif)."""
    from weasyprint import HTML

    started = time.perf_counter()
    html = render_html(template_name, context, html_override=html_override)
    pdf = HTML(string=html, url_fetcher=_url_fetcher, base_url="data:,").write_pdf(font_config=_font_config())
    logger.debug("rendered %s in %.0f ms", template_name, (time.perf_counter() - started) * 1000)
    return pdf


def render_png(pdf: bytes, *, dpi: int = 100) -> bytes:
    """First page of a PDF as PNG, through poppler's ``pdftoppm`` (previews and QR checks)."""
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", "-singlefile", str(source), str(Path(tmp) / "out")],
            capture_output=True, check=True, timeout=60,
        )
        return (Path(tmp) / "out.png").read_bytes()


def qr_svg(data: str, *, size_mm: int = 22) -> str:
    """An inline SVG QR code (segno) sized in millimetres, safe to put in a template."""
    qr = segno.make(data, error="m")
    svg = qr.svg_inline(scale=1, border=2, omitsize=True, dark="#000")
    svg = svg.replace("<svg ", f'<svg style="width:{size_mm}mm;height:{size_mm}mm" role="img" aria-label="Mã QR" ', 1)
    return mark_safe(svg)


def tracking_url(dossier) -> str:
    from urllib.parse import quote

    return f"{settings.SITE_URL.rstrip('/')}/tra-cuu?ma={quote(dossier.code or '')}"


def verification_url(result) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/xac-thuc/{result.pk}/"


def place_name(agency) -> str:
    """The place written before the date line: the agency's (or an ancestor's) administrative unit."""
    node = agency
    while node is not None:
        unit = getattr(node, "administrative_unit", None)
        if unit is not None:
            name = unit.short_name or unit.name
            for prefix in _PLACE_PREFIXES:
                if name.startswith(prefix):
                    return name[len(prefix) :]
            return name
        node = node.parent
    return _province_place()


def _province_place_cached(code: str) -> str:
    from motcua.organisations.models import AdministrativeUnit

    unit = AdministrativeUnit.objects.filter(code=code, level="province", is_legacy=False).first()
    if unit is None:
        return ""
    name = unit.short_name or unit.name
    for prefix in _PLACE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _province_place() -> str:
    """Fallback place: the province of this installation (``PROVINCE_CODE``)."""
    return _province_place_cached(str(settings.PROVINCE_CODE))


def vn_date_line(agency, when: dt.date | dt.datetime | None = None) -> str:
    """'Hải Phòng, ngày 05 tháng 11 năm 2026' (Decree 30/2020 style: day and months 1-2 with a leading zero)."""
    when = when or timezone.localdate()
    if isinstance(when, dt.datetime):
        when = timezone.localtime(when).date() if timezone.is_aware(when) else when.date()
    month = f"{when.month:02d}" if when.month < 3 else str(when.month)
    place = place_name(agency)
    prefix = f"{place}, ngày" if place else "Ngày"
    return f"{prefix} {when.day:02d} tháng {month} năm {when.year}"


def vn_datetime(value: dt.datetime | None) -> str:
    """'14 giờ 05 phút, ngày 05/11/2026'."""
    if not value:
        return ""
    value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{value.hour:02d} giờ {value.minute:02d} phút, ngày {value:%d/%m/%Y}"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- Results -------------------------------------------------------------------------------------

MAX_RESULT_BYTES = 20 * 1024 * 1024


class ResultError(ValidationError):
    """A result cannot be issued (bad file, no certificate...): shown to the user as a 4xx."""


def _read_upload(pdf_or_upload) -> bytes:
    if isinstance(pdf_or_upload, (bytes, bytearray)):
        data = bytes(pdf_or_upload)
    else:
        if getattr(pdf_or_upload, "size", 0) and pdf_or_upload.size > MAX_RESULT_BYTES:
            raise ResultError("Tệp kết quả quá lớn (tối đa 20 MB).")
        pdf_or_upload.seek(0)
        data = pdf_or_upload.read()
    if len(data) > MAX_RESULT_BYTES:
        raise ResultError("Tệp kết quả quá lớn (tối đa 20 MB).")
    if not data.startswith(b"%PDF-"):
        raise ResultError("Kết quả phải là tệp PDF.")
    return data


def result_prefix(agency) -> str:
    """The middle part of a result code: the last segment of the agency identifier (G15 in KQ.G15.000033)."""
    return (agency.code.rsplit(".", 1)[-1] or agency.code)[:20].upper()


def allocate_result_code(agency) -> str:
    """Next ``KQ.<agency>.<nnnnnn>``: gap-free under concurrency (row lock on the counter)."""
    from motcua.documents.models import ResultCodeCounter

    prefix = result_prefix(agency)
    with transaction.atomic():
        ResultCodeCounter.objects.get_or_create(prefix=prefix)
        counter = ResultCodeCounter.objects.select_for_update().get(prefix=prefix)
        counter.last_value += 1
        counter.save(update_fields=["last_value"])
    return f"KQ.{prefix}.{counter.last_value:06d}"


def _issue(dossier, actor, name: str, make_pdf, *, agency=None, signer_name: str | None = None,
           reason: str = "Ký số kết quả giải quyết thủ tục hành chính", box=None):
    """Allocate the code, build the PDF (``make_pdf(code, verify_url)``), sign, store, flag the dossier."""
    from motcua.documents.models import Result
    from motcua.documents.signing import SigningError, sign_pdf
    from motcua.dossiers.models import Dossier

    agency = agency or dossier.competent_agency
    user = getattr(actor, "user", actor)
    signer_name = signer_name or (getattr(user, "display_name", "") or str(agency))
    with transaction.atomic():
        code = allocate_result_code(agency)
        result = Result.objects.create(
            dossier=dossier, code=code, name=nfc_text(name) or "Kết quả giải quyết", sha256="", is_electronic=True,
            signer_agency=agency, signer_user=user if getattr(user, "pk", None) else None, signer_name=signer_name,
        )
        url = verification_url(result)
        data = make_pdf(code, url)
        try:
            signed = sign_pdf(data, agency, reason, signer_name, extra_line=f"Số: {code}\nXác thực: {url}",
                              **({"box": box} if box else {}))
        except SigningError as exc:
            raise ResultError(str(exc)) from exc
        result.sha256 = sha256_hex(signed)
        result.size = len(signed)
        result.signed_at = timezone.now()
        result.file.save(f"{code}.pdf", ContentFile(signed), save=False)
        result.save()
        # The dossiers app owns the model: only this flag is touched, with a queryset update.
        Dossier.objects.filter(pk=dossier.pk).update(has_electronic_result=True)
    dossier.has_electronic_result = True
    return result


def nfc_text(value: str) -> str:
    from motcua.core.text import nfc

    return nfc(value)[:255]


def issue_result(dossier, pdf_or_upload, actor, name: str, **kwargs):
    """Sign an uploaded (or given) result PDF with the agency's certificate, store it and mark the
    dossier as having an electronic result (indicator 4.1).

    ``pdf_or_upload`` is PDF bytes or an uploaded file; ``actor`` a user (or an ``Actor``).
    ``agency`` (keyword) defaults to the dossier's competent agency. The private key stays on the
    server (PKCS#12 under ``SIGNING_PKI_DIR``). Raises :class:`ResultError` (a ValidationError).
    """
    data = _read_upload(pdf_or_upload)
    return _issue(dossier, actor, name, lambda code, url: data, **kwargs)


def issue_certificate(dossier, actor, name: str = "Giấy chứng nhận", *, title: str = "", body: list | None = None,
                      **kwargs):
    """Generate a certificate from the dossier's data (with a QR to its verification page), sign and issue it."""

    def make(code, url):
        return render_certificate(dossier, result_code=code, title=title or name, body=body,
                                  agency=kwargs.get("agency"), verify_url=url)

    from motcua.documents.signing import CERTIFICATE_STAMP_BOX

    return _issue(dossier, actor, name, make, box=CERTIFICATE_STAMP_BOX, **kwargs)


def render_certificate(dossier, *, result_code: str = "", title: str = "", body: list | None = None,
                       agency=None, signer_title: str = "", verify_url: str = "") -> bytes:
    """A certificate-like result ("Giấy chứng nhận") generated from the dossier's data.

    ``body`` is a list of (label, value) pairs; by default the applicant and procedure data.
    """
    from motcua.documents.forms import base_context

    agency = agency or dossier.competent_agency
    ctx = base_context(dossier, agency=agency)
    rows = body
    if rows is None:
        rows = [
            ("Họ và tên / tên tổ chức", dossier.applicant_name),
            ("Số định danh / mã số thuế", dossier.applicant_identity),
            ("Địa chỉ", dossier.applicant_address),
            ("Thủ tục", f"{dossier.procedure.name} (mã {dossier.procedure.code})"),
            ("Nội dung", dossier.summary),
        ]
        labels = _eform_labels(dossier)
        for key, value in (dossier.form_data or {}).items():
            if key in labels and isinstance(value, (str, int, float)) and str(value).strip():
                rows.append((labels[key], str(value)))
    ctx.update(
        title=title or "Giấy chứng nhận",
        rows=[(label, value) for label, value in rows if value],
        result_code=result_code,
        signer_title=signer_title or "Thủ trưởng cơ quan",
        form_title="Giấy chứng nhận",
        verify_url=verify_url,
        verify_qr=qr_svg(verify_url) if verify_url else "",
    )
    return render_pdf(FORMS_DIR + "certificate.html", ctx)


def _eform_labels(dossier) -> dict[str, str]:
    """Field titles of the e-form the dossier was filled with (only titled fields are printed)."""
    from motcua.catalog.models import OnlineService

    labels: dict[str, str] = {}
    services_qs = OnlineService.objects.filter(procedure_id=dossier.procedure_id).exclude(eform=None).select_related("eform")
    for service in services_qs:
        for key, spec in ((service.eform.schema or {}).get("properties") or {}).items():
            if isinstance(spec, dict) and spec.get("title"):
                labels.setdefault(key, str(spec["title"]))
    return labels


def results_for_user(user):
    """Results of the dossiers a citizen owns, newest first (for the Kho dữ liệu page)."""
    from motcua.documents.models import Result

    if not getattr(user, "is_authenticated", False):
        return Result.objects.none()
    return (
        Result.objects.filter(dossier__owner=user, is_electronic=True)
        .select_related("dossier", "dossier__procedure", "signer_agency")
        .order_by("-created_at", "-id")
    )


# --- Postal return ---------------------------------------------------------------------------------


def record_shipment(dossier, *, carrier: str, tracking_code: str, status: str = "created", note: str = "",
                    at: dt.datetime | None = None):
    """Create or update the shipment of ``dossier``'s result with ``carrier`` and ``tracking_code``.

    Status timestamps are set the first time a status is reached, so repeated carrier callbacks
    are harmless.
    """
    from motcua.core.text import nfc
    from motcua.documents.models import Shipment

    tracking_code = nfc(tracking_code).upper()
    carrier = nfc(carrier)
    if not tracking_code or not carrier:
        raise ValidationError("Cần nhập đơn vị vận chuyển và mã vận đơn.")
    if status not in Shipment.Status.values:
        raise ValidationError(f"Trạng thái vận chuyển không hợp lệ: {status}")
    at = at or timezone.now()
    with transaction.atomic():
        shipment, _ = Shipment.objects.select_for_update().get_or_create(
            carrier=carrier, tracking_code=tracking_code, defaults={"dossier": dossier, "status": status}
        )
        if shipment.dossier_id != dossier.pk:
            raise ValidationError("Mã vận đơn này đã gắn với hồ sơ khác.")
        if Shipment.Status.order(status) >= Shipment.Status.order(shipment.status):
            shipment.status = status
        stamp = Shipment.STATUS_TIMESTAMPS.get(status)
        if stamp and getattr(shipment, stamp) is None:
            setattr(shipment, stamp, at)
        if note:
            shipment.note = nfc(note)
        shipment.save()
    return shipment


def shipments_by_channel(queryset=None) -> dict[int, int]:
    """Number of dossiers whose result went by post, per submission channel (KenhThucHien)."""
    from django.db.models import Count

    from motcua.documents.models import Shipment

    qs = queryset if queryset is not None else Shipment.objects.all()
    rows = qs.values("dossier__channel").annotate(n=Count("dossier", distinct=True))
    return {row["dossier__channel"]: row["n"] for row in rows}


def pdf_bytes_io(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
