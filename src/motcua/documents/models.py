"""Form templates (versioned), electronic results with their signatures, and postal shipments."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FormCode(models.TextChoices):
    RECEIPT = "receipt", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    SUPPLEMENT_REQUEST = "supplement_request", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"
    REFUSAL = "refusal", "Phiếu từ chối tiếp nhận giải quyết hồ sơ"
    APOLOGY = "apology", "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
    STOP_NOTICE = "stop_notice", "Thông báo dừng giải quyết hồ sơ"
    CONTROL_SLIP = "control_slip", "Phiếu kiểm soát quá trình giải quyết hồ sơ"
    REGISTER = "register", "Sổ theo dõi hồ sơ"
    CERTIFICATE = "certificate", "Giấy chứng nhận (mẫu kết quả)"


class FormTemplate(models.Model):
    """An edited version of a form's HTML (Django template language). The active version with the
    highest number overrides the file template ``documents/forms/<code>.html``."""

    code = models.CharField("mẫu", max_length=40, choices=FormCode.choices)
    version = models.PositiveIntegerField("phiên bản", editable=False)
    html = models.TextField(
        "nội dung HTML",
        help_text='Mẫu Django; nên bắt đầu bằng {% extends "documents/forms/base.html" %} để giữ quốc hiệu và mã QR.',
    )
    is_active = models.BooleanField("đang dùng", default=False)
    note = models.CharField("ghi chú thay đổi", max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="người tạo"
    )
    created_at = models.DateTimeField("thời điểm tạo", auto_now_add=True)

    class Meta:
        verbose_name = "mẫu phiếu, biểu mẫu"
        verbose_name_plural = "mẫu phiếu, biểu mẫu"
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="unique_form_template_version"),
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(is_active=True), name="one_active_form_template"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} – v{self.version}{' (đang dùng)' if self.is_active else ''}"


class ResultCodeCounter(models.Model):
    """Gap-free sequence of result codes per prefix (KQ.<prefix>.<nnnnnn>), taken under a row lock."""

    prefix = models.CharField(max_length=20, unique=True)
    last_value = models.PositiveIntegerField(default=0)


def result_path(instance: "Result", filename: str) -> str:
    return f"results/{instance.dossier_id}/{instance.sha256[:2]}/{instance.sha256}.pdf"


class Result(models.Model):
    """Kết quả giải quyết: a signed PDF with its code, hash and signer. Never modified after issue."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="results", verbose_name="hồ sơ")
    code = models.CharField("mã kết quả", max_length=40, unique=True)
    name = models.CharField("tên kết quả", max_length=255)
    file = models.FileField("tệp", upload_to=result_path, max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    size = models.PositiveBigIntegerField("kích thước (byte)", default=0)
    is_electronic = models.BooleanField("kết quả điện tử", default=True)
    signed_at = models.DateTimeField("thời điểm ký", null=True, blank=True)
    signer_agency = models.ForeignKey(
        "organisations.Agency", on_delete=models.PROTECT, related_name="signed_results", verbose_name="cơ quan ký"
    )
    signer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="người ký"
    )
    signer_name = models.CharField("tên người ký", max_length=255, blank=True)
    created_at = models.DateTimeField("thời điểm tạo", auto_now_add=True)

    class Meta:
        verbose_name = "kết quả giải quyết"
        verbose_name_plural = "kết quả giải quyết"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class Shipment(models.Model):
    """Trả kết quả qua bưu chính: one shipment of a dossier's result."""

    class Status(models.TextChoices):
        CREATED = "created", "Đã tạo vận đơn"
        PICKED_UP = "picked_up", "Bưu điện đã nhận"
        IN_TRANSIT = "in_transit", "Đang vận chuyển"
        DELIVERED = "delivered", "Đã phát thành công"
        RETURNED = "returned", "Chuyển hoàn"
        FAILED = "failed", "Phát không thành công"

        @classmethod
        def order(cls, value: str) -> int:
            # Final states (delivered, returned, failed) rank equal and above the others.
            return {"created": 0, "picked_up": 1, "in_transit": 2}.get(value, 3)

    STATUS_TIMESTAMPS = {
        "picked_up": "picked_up_at",
        "delivered": "delivered_at",
        "returned": "returned_at",
        "failed": "failed_at",
    }

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="shipments", verbose_name="hồ sơ")
    carrier = models.CharField("đơn vị vận chuyển", max_length=60, help_text="Ví dụ: VNPost (bưu chính công ích)")
    tracking_code = models.CharField("mã vận đơn", max_length=60)
    status = models.CharField("trạng thái", max_length=12, choices=Status.choices, default=Status.CREATED)
    note = models.CharField("ghi chú", max_length=255, blank=True)
    created_at = models.DateTimeField("thời điểm tạo", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    picked_up_at = models.DateTimeField("bưu điện nhận", null=True, blank=True)
    delivered_at = models.DateTimeField("phát thành công", null=True, blank=True)
    returned_at = models.DateTimeField("chuyển hoàn", null=True, blank=True)
    failed_at = models.DateTimeField("phát không thành công", null=True, blank=True)

    class Meta:
        verbose_name = "vận đơn trả kết quả"
        verbose_name_plural = "vận đơn trả kết quả"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["carrier", "tracking_code"], name="unique_shipment_tracking")]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_code}"
