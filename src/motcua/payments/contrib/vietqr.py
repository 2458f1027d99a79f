"""Bank transfer by VietQR: the payer scans a QR (NAPAS VietQR payload) whose transfer note is our
payment reference. No gateway calls us back: staff confirm the transfer, or a bank statement
(CSV) is imported and matched on the reference (see ``services.import_bank_statement``)."""

from __future__ import annotations

import datetime as dt

import segno
from django.conf import settings
from vietnam_qr_pay import QRPay

from motcua.payments.base import CallbackData, CallbackRejected, Gateway
from motcua.payments.registry import register


@register
class VietQRGateway(Gateway):
    code = "vietqr"
    name = "Chuyển khoản ngân hàng (VietQR)"
    description = "Quét mã VietQR bằng ứng dụng ngân hàng; hồ sơ được xác nhận khi tiền về tài khoản."
    redirects = False
    online = False
    expiry = dt.timedelta(days=3)

    def is_configured(self) -> bool:
        return bool(settings.VIETQR_BANK_BIN and settings.VIETQR_ACCOUNT)

    def payload(self, payment) -> str:
        return QRPay.init_viet_qr(
            bank_bin=settings.VIETQR_BANK_BIN,
            bank_number=settings.VIETQR_ACCOUNT,
            amount=str(payment.amount),
            purpose=payment.reference,
        ).build()

    def qr_svg(self, payment) -> str:
        return segno.make(self.payload(payment), error="m").svg_inline(scale=5, title="Mã VietQR chuyển khoản")

    def start_url(self, payment, *, client_ip: str = "127.0.0.1", base_url: str | None = None) -> str:
        from django.urls import reverse

        return reverse("payments:transfer", args=[payment.reference])

    def parse_callback(self, params: dict[str, str]) -> CallbackData:
        raise CallbackRejected("no_callbacks", "VietQR không có thông báo tự động")
