"""Models of the integrations app: the durable outbox of SMS and e-mail messages."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """An SMS or e-mail to deliver; kept after delivery as the record of what was sent."""

    class Channel(models.TextChoices):
        SMS = "sms", "Tin nhắn SMS"
        EMAIL = "email", "Thư điện tử"

    class Status(models.TextChoices):
        PENDING = "pending", "Chờ gửi"
        SENT = "sent", "Đã gửi"
        FAILED = "failed", "Gửi không thành công"

    channel = models.CharField("kênh", max_length=10, choices=Channel.choices)
    recipient = models.CharField("người nhận", max_length=254)
    subject = models.CharField("tiêu đề", max_length=255, blank=True)
    body = models.TextField("nội dung")
    status = models.CharField("trạng thái", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("số lần thử", default=0)
    next_attempt_at = models.DateTimeField("lần thử tiếp theo", default=timezone.now)
    last_error = models.TextField("lỗi gần nhất", blank=True)
    created_at = models.DateTimeField("thời điểm tạo", auto_now_add=True)
    sent_at = models.DateTimeField("thời điểm gửi", null=True, blank=True)

    class Meta:
        verbose_name = "tin gửi đi"
        verbose_name_plural = "tin gửi đi"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"]), models.Index(fields=["recipient"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient}: {self.subject or self.body[:40]}"
