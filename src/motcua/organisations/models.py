"""Administrative units, agencies (as a tree) and staff roles per agency."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AdministrativeUnit(models.Model):
    """A province, commune (2025 structure) or, for history, a legacy province/district/commune.

    Keyed by the official code. Codes of the two structures overlap (a 2025 commune keeps the code
    of one of the old wards), so the key is ``<structure>:<level>:<code>`` and ``code`` holds the
    bare official code.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", "Tỉnh/Thành phố"
        DISTRICT = "district", "Quận/Huyện (trước 01/7/2025)"
        COMMUNE = "commune", "Xã/Phường/Đặc khu"

    key = models.CharField(primary_key=True, max_length=32)
    code = models.CharField("mã", max_length=10, db_index=True)
    name = models.CharField("tên", max_length=200)
    short_name = models.CharField("tên ngắn", max_length=200, blank=True)
    unit_type = models.CharField("loại", max_length=40, blank=True, help_text="Phường, Xã, Đặc khu, Tỉnh, Thành phố…")
    level = models.CharField("cấp", max_length=10, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_legacy = models.BooleanField("đơn vị cũ (trước 01/7/2025)", default=False)
    name_folded = models.CharField(max_length=200, blank=True, db_index=True)

    class Meta:
        verbose_name = "đơn vị hành chính"
        verbose_name_plural = "đơn vị hành chính"
        ordering = ["key"]
        indexes = [models.Index(fields=["is_legacy", "level", "parent"])]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def make_key(code: str, level: str, legacy: bool) -> str:
        return f"{'old' if legacy else 'new'}:{level[0]}:{code}"


class Agency(models.Model):
    """A public body or one of its divisions: UBND tỉnh, Sở, Trung tâm PVHCC, UBND xã, phòng…"""

    class Kind(models.TextChoices):
        PROVINCE_COMMITTEE = "province_committee", "UBND tỉnh/thành phố"
        DEPARTMENT = "department", "Sở, ban, ngành"
        SERVICE_CENTRE = "service_centre", "Trung tâm Phục vụ hành chính công"
        COMMUNE_COMMITTEE = "commune_committee", "UBND xã/phường"
        DIVISION = "division", "Phòng, bộ phận"
        BRANCH = "branch", "Chi nhánh, điểm tiếp nhận"
        CENTRAL = "central", "Cơ quan trung ương"

    class Level(models.TextChoices):
        MINISTRY = "ministry", "Cấp bộ"
        PROVINCE = "province", "Cấp tỉnh"
        COMMUNE = "commune", "Cấp xã"

    code = models.CharField(
        "mã định danh", max_length=40, unique=True, help_text="Mã định danh cơ quan theo QCVN 102:2016, vd. 000.00.01.H29"
    )
    name = models.CharField("tên", max_length=255)
    short_name = models.CharField("tên viết tắt", max_length=100, blank=True)
    kind = models.CharField("loại", max_length=30, choices=Kind.choices)
    level = models.CharField("cấp", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="trực thuộc"
    )
    administrative_unit = models.ForeignKey(
        AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT, verbose_name="đơn vị hành chính"
    )
    is_service_point = models.BooleanField(
        "là điểm tiếp nhận", default=False, help_text="Bộ phận Một cửa nhận hồ sơ tại đây (Nghị định 118/2025)."
    )
    dossier_code_pattern = models.CharField(
        "mẫu mã hồ sơ",
        max_length=80,
        default="{agency}-{date:%y%m%d}-{seq:04d}",
        help_text="Mẫu mã hồ sơ: {agency} mã cơ quan, {date:%y%m%d} ngày tiếp nhận, {seq:04d} số thứ tự trong ngày.",
    )
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    phone = models.CharField("điện thoại", max_length=30, blank=True)
    email = models.EmailField("thư điện tử", blank=True)
    is_active = models.BooleanField("đang hoạt động", default=True)

    class Meta:
        verbose_name = "cơ quan, đơn vị"
        verbose_name_plural = "cơ quan, đơn vị"
        ordering = ["level", "code"]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list["Agency"]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class Role(models.TextChoices):
    RECEPTION = "reception", "Cán bộ tiếp nhận (Một cửa)"
    SPECIALIST = "specialist", "Chuyên viên xử lý"
    LEADER = "leader", "Lãnh đạo"
    AGENCY_ADMIN = "agency_admin", "Quản trị cơ quan"
    MANAGER = "manager", "Cán bộ theo dõi, thống kê"
    SYSTEM_ADMIN = "system_admin", "Quản trị hệ thống"


class StaffRole(models.Model):
    """A staff account's role at one agency (a person may hold several)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="staff_roles", verbose_name="cơ quan")
    role = models.CharField("vai trò", max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="unit_staff_roles",
        verbose_name="phòng/bộ phận",
        help_text="Phòng, bộ phận trong cơ quan (nếu có).",
    )

    class Meta:
        verbose_name = "vai trò cán bộ"
        verbose_name_plural = "vai trò cán bộ"
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="unique_staff_role")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.agency}"
