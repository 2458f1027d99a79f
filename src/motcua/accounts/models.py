"""User accounts: citizens, businesses and staff share one model; staff roles live in
``organisations.StaffRole``."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """Log-in is by ``username``: a phone number or e-mail for citizens, a staff login for officials."""

    class Kind(models.TextChoices):
        CITIZEN = "citizen", "Công dân"
        BUSINESS = "business", "Tổ chức, doanh nghiệp"
        STAFF = "staff", "Cán bộ, công chức"

    kind = models.CharField("loại tài khoản", max_length=10, choices=Kind.choices, default=Kind.CITIZEN)
    full_name = models.CharField("họ và tên / tên tổ chức", max_length=255, blank=True)
    phone = models.CharField("số điện thoại", max_length=15, blank=True, db_index=True)
    identity_number = models.CharField(
        "số định danh (CCCD)", max_length=12, blank=True, db_index=True, help_text="12 chữ số"
    )
    tax_code = models.CharField("mã số thuế", max_length=14, blank=True, db_index=True)
    birth_date = models.DateField("ngày sinh", null=True, blank=True)
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    administrative_unit = models.ForeignKey(
        "organisations.AdministrativeUnit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name="xã/phường",
    )
    contact_confirmed = models.BooleanField("đã xác nhận liên lạc", default=False)
    vneid_verified = models.BooleanField("đã xác thực VNeID", default=False)

    objects = UserManager()

    class Meta:
        verbose_name = "tài khoản"
        verbose_name_plural = "tài khoản"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def is_staff_member(self) -> bool:
        """An official of an agency (not to be confused with Django's ``is_staff`` admin flag)."""
        return self.kind == self.Kind.STAFF


class OneTimeCode(models.Model):
    """A 6-digit code sent by SMS or e-mail; only its keyed hash is stored."""

    purpose = models.CharField("mục đích", max_length=40)
    target = models.CharField("gửi tới", max_length=254, help_text="Số điện thoại hoặc thư điện tử.")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField("hết hạn")
    attempts = models.PositiveSmallIntegerField("số lần nhập", default=0)
    used_at = models.DateTimeField("đã dùng lúc", null=True, blank=True)

    class Meta:
        verbose_name = "mã xác nhận"
        verbose_name_plural = "mã xác nhận"
        indexes = [models.Index(fields=["purpose", "target", "created_at"])]


class LoginFailure(models.Model):
    """A failed log-in, kept briefly to lock out guessing (per username and per address)."""

    username = models.CharField(max_length=254, db_index=True)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)


class ApiToken(models.Model):
    """A personal API token (``Authorization: Bearer <token>``); only its SHA-256 is stored."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("tên gợi nhớ", max_length=100)
    prefix = models.CharField("đầu mã", max_length=12, help_text="Vài ký tự đầu, để nhận ra mã.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("tạo lúc", auto_now_add=True)
    last_used_at = models.DateTimeField("dùng lần cuối", null=True, blank=True)

    class Meta:
        verbose_name = "mã truy cập API"
        verbose_name_plural = "mã truy cập API"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
