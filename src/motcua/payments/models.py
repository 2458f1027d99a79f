"""Fees and payments: fee rules on top of the catalogue, payment requests on dossiers, payments
through gateways with their state history, and a log of every gateway callback.

A payment's ``state`` changes only through :mod:`motcua.payments.states` (one place that knows
the allowed edges) and every change writes a :class:`PaymentTransition`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from motcua.catalog.models import Channel, Fee


class ApplicantCategory(models.TextChoices):
    """Applicant categories that fee exemptions and reductions refer to."""

    MERITORIOUS = "nguoi_co_cong", "Người có công với cách mạng"
    POOR_HOUSEHOLD = "ho_ngheo", "Thành viên hộ nghèo, hộ cận nghèo"
    DISABLED = "nguoi_khuyet_tat", "Người khuyết tật"
    CHILD = "tre_em", "Trẻ em dưới 16 tuổi"
    ELDERLY = "nguoi_cao_tuoi", "Người cao tuổi"
    ETHNIC_MINORITY = "dan_toc_thieu_so", "Người dân tộc thiểu số ở vùng đặc biệt khó khăn"


class CollectAt(models.TextChoices):
    BEFORE_PROCESSING = "before", "Thu trước khi giải quyết"
    AT_RESULT = "result", "Thu khi trả kết quả"
    NONE = "none", "Không thu"


class FeeRule(models.Model):
    """A provincial rule applied on top of the catalogue's legal amounts (``catalog.Fee``).

    Empty procedure / channel / kind mean "any". ``amount`` sets the base amount of a kind when
    the catalogue has none (or overrides it); ``percent_off`` reduces (e.g. 50% for online
    submission by a provincial resolution); ``exempt`` makes the fee free for the listed
    applicant categories. A rule with categories applies only to those categories.
    """

    class Effect(models.TextChoices):
        AMOUNT = "amount", "Mức thu"
        PERCENT_OFF = "percent_off", "Giảm theo tỷ lệ"
        EXEMPT = "exempt", "Miễn"

    name = models.CharField("tên quy định", max_length=255)
    procedure = models.ForeignKey(
        "catalog.Procedure", null=True, blank=True, on_delete=models.CASCADE, related_name="fee_rules",
        verbose_name="thủ tục",
    )
    channel = models.PositiveSmallIntegerField("kênh", choices=Channel.choices, null=True, blank=True)
    kind = models.CharField("loại", max_length=10, choices=Fee.Kind.choices, blank=True)
    effect = models.CharField("tác động", max_length=12, choices=Effect.choices)
    amount = models.PositiveBigIntegerField("mức thu (VND)", null=True, blank=True)
    percent = models.PositiveSmallIntegerField("tỷ lệ giảm (%)", null=True, blank=True)
    applicant_categories = models.JSONField(
        "đối tượng áp dụng", default=list, blank=True, help_text="Mã đối tượng; để trống là mọi đối tượng."
    )
    legal_basis = models.CharField("căn cứ", max_length=255, blank=True, help_text="Vd. Nghị quyết số …/NQ-HĐND")
    valid_from = models.DateField("áp dụng từ", null=True, blank=True)
    valid_to = models.DateField("áp dụng đến", null=True, blank=True)
    is_active = models.BooleanField("đang áp dụng", default=True)

    class Meta:
        verbose_name = "quy định thu phí"
        verbose_name_plural = "quy định thu phí"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__isnull=True) | models.Q(percent__lte=100), name="fee_rule_percent_max_100"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CollectionPolicy(models.Model):
    """When fees of a procedure (optionally one channel) are collected; the most specific wins."""

    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.CASCADE, related_name="fee_collection")
    channel = models.PositiveSmallIntegerField("kênh", choices=Channel.choices, null=True, blank=True)
    collect_at = models.CharField("thời điểm thu", max_length=8, choices=CollectAt.choices)

    class Meta:
        verbose_name = "thời điểm thu phí"
        verbose_name_plural = "thời điểm thu phí"
        constraints = [models.UniqueConstraint(fields=["procedure", "channel"], name="unique_collection_policy")]


class PaymentRequest(models.Model):
    """An amount a dossier must pay (dossier status 6 while open); settled by one paid payment."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="payment_requests")
    amount = models.PositiveBigIntegerField("số tiền (VND)")
    lines = models.JSONField("chi tiết", default=list, blank=True)
    explanation = models.TextField("diễn giải", blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    requested_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField("ngày thanh toán xong", null=True, blank=True)

    class Meta:
        verbose_name = "yêu cầu thanh toán"
        verbose_name_plural = "yêu cầu thanh toán"
        ordering = ["-requested_at", "-id"]

    @property
    def is_open(self) -> bool:
        return self.settled_at is None


class PaymentState(models.TextChoices):
    PENDING = "pending", "Đang chờ thanh toán"
    PAID = "paid", "Đã thanh toán"
    FAILED = "failed", "Không thành công"
    EXPIRED = "expired", "Hết hạn"
    REFUNDED = "refunded", "Đã hoàn tiền"


class Payment(models.Model):
    """One attempt to pay a request through one gateway, identified by our ``reference``."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="payments")
    request = models.ForeignKey(PaymentRequest, on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField("mã thanh toán", max_length=32, unique=True)
    amount = models.PositiveBigIntegerField("số tiền (VND)")
    currency = models.CharField(max_length=3, default="VND")
    gateway = models.CharField("kênh thanh toán", max_length=20)
    state = models.CharField("trạng thái", max_length=10, choices=PaymentState.choices, default=PaymentState.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("hết hạn lúc", null=True, blank=True)
    paid_at = models.DateTimeField("thanh toán lúc", null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    gateway_transaction_id = models.CharField("mã giao dịch", max_length=64, unique=True, null=True, blank=True)
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    refunded_at = models.DateTimeField(null=True, blank=True)
    refund_amount = models.PositiveBigIntegerField(null=True, blank=True)
    refund_reason = models.TextField(blank=True)
    raw_callbacks = models.JSONField("dữ liệu cổng gửi về", default=list, blank=True)

    class Meta:
        verbose_name = "giao dịch thanh toán"
        verbose_name_plural = "giao dịch thanh toán"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "gateway", "created_at"], name="payment_pending_idx")]

    def __str__(self) -> str:
        return self.reference


class PaymentTransition(models.Model):
    """Append-only history of a payment's states."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="transitions")
    event = models.CharField(max_length=20)
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    source = models.CharField("nguồn", max_length=20, blank=True, help_text="ipn, query, staff, statement, system")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]


class GatewayCallbackLog(models.Model):
    """Every message a gateway sent us (or we fetched), accepted or not, with the reason."""

    class Verdict(models.TextChoices):
        ACCEPTED = "accepted", "Chấp nhận"
        REJECTED = "rejected", "Từ chối"

    gateway = models.CharField(max_length=20)
    source = models.CharField(max_length=20, default="ipn")
    reference = models.CharField(max_length=64, blank=True, db_index=True)
    params = models.JSONField()
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    reason = models.CharField(max_length=40, blank=True)
    detail = models.TextField(blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "thông báo từ cổng thanh toán"
        verbose_name_plural = "thông báo từ cổng thanh toán"
        ordering = ["-at", "-id"]


class SimulatorTransaction(models.Model):
    """What the development payment simulator "processed": answers its query API."""

    gateway = models.CharField(max_length=20)
    reference = models.CharField(max_length=32)
    transaction_id = models.CharField(max_length=64, unique=True)
    amount = models.PositiveBigIntegerField()
    status = models.CharField(max_length=4, help_text="00 thành công, khác 00 không thành công")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gateway", "reference"], name="unique_simulator_order")]
