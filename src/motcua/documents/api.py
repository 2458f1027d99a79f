"""JSON API of documents: the public verification facts of an electronic result."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from motcua.documents import services, signing
from motcua.documents.models import Result

router = Router()


class SignatureOut(Schema):
    signer: str
    signed_at: dt.datetime | None
    intact: bool
    trusted: bool
    covers_whole_file: bool


class VerificationOut(Schema):
    code: str
    name: str
    issuer: str
    issuer_code: str
    signed_at: dt.datetime | None
    sha256: str
    valid: bool
    message: str
    signatures: list[SignatureOut]
    verification_url: str


@router.get("/results/{result_id}/verification", response=VerificationOut, summary="Xác thực kết quả điện tử")
def result_verification(request, result_id: int):
    """Issuer, signing time, SHA-256 and a fresh signature check of a stored result (what its QR shows)."""
    result = get_object_or_404(Result.objects.select_related("signer_agency"), pk=result_id)
    data = result.file.open("rb").read()
    report = signing.verify_pdf(data)
    hash_ok = services.sha256_hex(data) == result.sha256
    valid = report.ok and hash_ok
    message = report.message if hash_ok else "Tệp lưu trữ không khớp mã băm đã ghi nhận khi ký."
    return {
        "code": result.code,
        "name": result.name,
        "issuer": result.signer_agency.name,
        "issuer_code": result.signer_agency.code,
        "signed_at": result.signed_at,
        "sha256": result.sha256,
        "valid": valid,
        "message": message,
        "signatures": [
            {"signer": s.signer, "signed_at": s.signed_at, "intact": s.intact, "trusted": s.trusted,
             "covers_whole_file": s.covers_whole_file}
            for s in report.signatures
        ],
        "verification_url": services.verification_url(result),
    }

