"""Dossiers (hồ sơ), their code counters, attachments and the append-only event history.

A dossier's ``status`` is the national TrangThaiHoSo code (1-10; 0 is our draft). It changes
only through :func:`motcua.dossiers.services.transition`, which checks the transition table,
writes a :class:`DossierEvent` and emits ``dossier_transitioned`` after commit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from motcua.catalog.models import Channel


class Status(models.IntegerChoices):
    DRAFT = 0, "Bản nháp"
    SUBMITTED = 1, "Mới đăng ký"
    ACCEPTED = 2, "Được tiếp nhận"
    REFUSED = 3, "Không được tiếp nhận"
    PROCESSING = 4, "Đang xử lý"
    SUPPLEMENT_REQUESTED = 5, "Yêu cầu bổ sung giấy tờ"
    PAYMENT_REQUESTED = 6, "Yêu cầu thực hiện nghĩa vụ tài chính"
    WITHDRAWN = 7, "Công dân yêu cầu rút hồ sơ"
    STOPPED = 8, "Dừng xử lý"
    DECIDED = 9, "Đã xử lý xong"
    RETURNED = 10, "Đã trả kết quả"


FINAL_STATUSES = {Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RETURNED}


class ApplicantType(models.IntegerChoices):
    CITIZEN = 1, "Công dân"
    BUSINESS = 2, "Tổ chức, doanh nghiệp"


class ResultMethod(models.TextChoices):
    COUNTER = "counter", "Nhận tại Bộ phận Một cửa"
    POST = "post", "Nhận qua dịch vụ bưu chính"
    ELECTRONIC = "electronic", "Nhận bản điện tử"


class Timeliness(models.TextChoices):
    EARLY = "early", "Trước hạn"
    ON_TIME = "on_time", "Đúng hạn"
    LATE = "late", "Quá hạn"


class DossierCodeCounter(models.Model):
    """Gap-free per-agency, per-day sequence, taken under a row lock (never from memory)."""

    agency = models.ForeignKey("organisations.Agency", on_delete=models.CASCADE)
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "day"], name="unique_code_counter")]


class Dossier(models.Model):
    code = models.CharField("mã hồ sơ", max_length=60, unique=True, null=True, blank=True)
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="dossiers")
    procedure_version = models.ForeignKey(
        "catalog.ProcedureVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="dossiers"
    )
    case = models.ForeignKey("catalog.ProcedureCase", null=True, blank=True, on_delete=models.PROTECT)
    status = models.PositiveSmallIntegerField("trạng thái", choices=Status.choices, default=Status.DRAFT, db_index=True)
    paused_from_status = models.PositiveSmallIntegerField(null=True, blank=True, choices=Status.choices)
    channel = models.PositiveSmallIntegerField("kênh nộp", choices=Channel.choices, default=Channel.ONLINE)
    # No index of their own for receiving_agency, current_agency and owner: the composite indexes
    # below lead with them (an index less to update on every status change).
    receiving_agency = models.ForeignKey(
        "organisations.Agency", on_delete=models.PROTECT, related_name="received_dossiers", verbose_name="nơi tiếp nhận",
        db_index=False,
    )
    competent_agency = models.ForeignKey(
        "organisations.Agency",
        on_delete=models.PROTECT,
        related_name="competent_dossiers",
        verbose_name="cơ quan giải quyết",
    )
    current_agency = models.ForeignKey(
        "organisations.Agency",
        on_delete=models.PROTECT,
        related_name="held_dossiers",
        verbose_name="cơ quan đang xử lý",
        null=True,
        blank=True,
        db_index=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dossiers",
        verbose_name="tài khoản nộp",
        db_index=False,
    )
    applicant_type = models.PositiveSmallIntegerField(choices=ApplicantType.choices, default=ApplicantType.CITIZEN)
    applicant_name = models.CharField("chủ hồ sơ", max_length=255)
    # Indexed in Meta (equality look-ups only: no second LIKE index as db_index=True would add).
    applicant_identity = models.CharField("số định danh / mã số thuế", max_length=14, blank=True)
    applicant_phone = models.CharField("điện thoại", max_length=15, blank=True)
    applicant_email = models.EmailField("thư điện tử", blank=True)
    applicant_address = models.CharField("địa chỉ", max_length=255, blank=True)
    delegate_name = models.CharField("người nộp thay", max_length=255, blank=True)
    delegate_identity = models.CharField("số định danh người nộp thay", max_length=12, blank=True)
    delegate_phone = models.CharField("điện thoại người nộp thay", max_length=15, blank=True)
    summary = models.CharField("trích yếu", max_length=500, blank=True)
    form_data = models.JSONField("dữ liệu tờ khai", default=dict, blank=True)
    result_method = models.CharField("hình thức nhận kết quả", max_length=12, choices=ResultMethod.choices, default=ResultMethod.COUNTER)
    postal_address = models.CharField("địa chỉ nhận qua bưu chính", max_length=255, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField("ngày nộp", null=True, blank=True)
    received_at = models.DateTimeField("ngày tiếp nhận", null=True, blank=True)
    appointment_at = models.DateTimeField("ngày hẹn trả", null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField("ngày có kết quả", null=True, blank=True)
    returned_at = models.DateTimeField("ngày trả kết quả", null=True, blank=True)
    finished_at = models.DateTimeField("ngày kết thúc xử lý", null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_working_seconds = models.PositiveIntegerField("thời gian tạm dừng (giây làm việc)", default=0)
    supplement_count = models.PositiveSmallIntegerField("số lần yêu cầu bổ sung", default=0)
    timeliness = models.CharField("phân loại tiến độ", max_length=8, choices=Timeliness.choices, blank=True)

    paid_online = models.PositiveSmallIntegerField(
        "thanh toán trực tuyến", null=True, blank=True, help_text="DuocThanhToanTrucTuyen: 1 trên DVCQG, 2 trên cổng tỉnh"
    )
    is_digitised = models.BooleanField("có thành phần số hóa", default=False)
    has_electronic_result = models.BooleanField("có kết quả điện tử", default=False)
    reuses_data = models.BooleanField("tái sử dụng dữ liệu", default=False)
    client_token = models.CharField(
        max_length=64, blank=True, help_text="Khóa chống gửi trùng: một lần nộp chỉ tạo một hồ sơ."
    )

    class Meta:
        verbose_name = "hồ sơ"
        verbose_name_plural = "hồ sơ"
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["current_agency", "status", "appointment_at"], name="dossier_inbox_idx"),
            models.Index(fields=["receiving_agency", "status", "submitted_at"], name="dossier_reception_idx"),
            models.Index(fields=["owner", "status"], name="dossier_owner_idx"),
            models.Index(fields=["applicant_identity"], name="dossier_identity_idx"),
            models.Index(fields=["applicant_phone"], name="dossier_phone_idx"),
            # Statistics drill-down and registers filter on these dates.
            models.Index(fields=["received_at"], name="dossier_received_idx"),
            models.Index(fields=["decided_at"], name="dossier_decided_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "client_token"],
                condition=~models.Q(client_token=""),
                name="unique_dossier_client_token",
            )
        ]

    def __str__(self) -> str:
        return self.code or f"Bản nháp #{self.pk}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name never uses the uploaded name: no traversal, no overlong names.
    return f"dossiers/{instance.dossier_id}/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """One file for one document component; supplements add versions, nothing is overwritten."""

    class Digitisation(models.IntegerChoices):
        NOT_DIGITISED = 0, "Chưa số hóa"
        DIGITISED = 1, "Đã số hóa"
        REUSED = 2, "Tái sử dụng"
        REUSED_RESULT = 3, "Tái sử dụng từ kết quả hồ sơ khác"

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="attachments")
    component = models.ForeignKey(
        "catalog.DocumentComponent", null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField("tên tệp", max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    version = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    digitisation = models.PositiveSmallIntegerField(choices=Digitisation.choices, default=Digitisation.DIGITISED)
    reused_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reuses")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "tệp đính kèm"
        verbose_name_plural = "tệp đính kèm"
        ordering = ["component_id", "-version"]


class DossierEvent(models.Model):
    """Append-only audit of every action on a dossier: who, role, agency, when, from, to, why."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("thao tác", max_length=40)
    from_status = models.PositiveSmallIntegerField(null=True, blank=True, choices=Status.choices)
    to_status = models.PositiveSmallIntegerField(null=True, blank=True, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    actor_role = models.CharField(max_length=20, blank=True)
    agency = models.ForeignKey("organisations.Agency", null=True, blank=True, on_delete=models.PROTECT)
    at = models.DateTimeField(db_index=True)
    note = models.TextField(blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "nhật ký hồ sơ"
        verbose_name_plural = "nhật ký hồ sơ"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["action", "at"], name="dossierevent_action_at_idx")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("DossierEvent is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("DossierEvent is append-only")


class RateCounter(models.Model):
    """Hits of one client in the current fixed window, shared by every worker process (public
    tracking's rate limit): one UPSERT per lookup, see ``tracking.rate_limited``."""

    key = models.CharField(max_length=120, primary_key=True)
    until = models.BigIntegerField(help_text="End of the current window, in seconds since the epoch.")
    hits = models.PositiveIntegerField(default=0)
