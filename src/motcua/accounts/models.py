"""User accounts: citizens, businesses and staff share one model; staff roles live in
``organisations.StaffRole``."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


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
