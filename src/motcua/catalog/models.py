"""The procedure catalogue (Cơ sở dữ liệu TTHC): procedures, channels, fees, components, e-forms.

Every change of a procedure's content bumps ``Procedure.version`` and stores a full snapshot in
``ProcedureVersion``; a dossier points at the snapshot it was submitted under.
"""

from __future__ import annotations

from django.db import models

from motcua.core.text import fold


class Channel(models.IntegerChoices):
    """KenhThucHien as used by the national portal."""

    COUNTER = 1, "Trực tiếp"
    ONLINE = 2, "Trực tuyến"
    POST = 3, "Dịch vụ bưu chính"


class DurationUnit(models.TextChoices):
    WORKING_DAYS = "working_days", "ngày làm việc"
    DAYS = "days", "ngày"
    WORKING_HOURS = "working_hours", "giờ làm việc"
    HOURS = "hours", "giờ"
    MONTHS = "months", "tháng"


class ServiceLevel(models.TextChoices):
    INFORMATION = "information", "Cung cấp thông tin"
    PARTIAL = "partial", "Một phần"
    FULL = "full", "Toàn trình"


class Field(models.Model):
    """Lĩnh vực (sector) of procedures."""

    code = models.CharField("mã", max_length=40, unique=True)
    name = models.CharField("tên", max_length=255)
    name_folded = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = "lĩnh vực"
        verbose_name_plural = "lĩnh vực"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_folded = fold(self.name)
        super().save(*args, **kwargs)


class Procedure(models.Model):
    class Level(models.TextChoices):
        MINISTRY = "ministry", "Cấp bộ"
        PROVINCE = "province", "Cấp tỉnh"
        DISTRICT = "district", "Cấp huyện (trước 01/7/2025)"
        COMMUNE = "commune", "Cấp xã"

    code = models.CharField("mã thủ tục", max_length=20, unique=True, help_text="Mã TTHC quốc gia, vd. 1.004194")
    name = models.CharField("tên thủ tục", max_length=500)
    field = models.ForeignKey(Field, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="lĩnh vực")
    levels = models.JSONField("cấp thực hiện", default=list, blank=True, help_text="Danh sách cấp: province, commune…")
    applicant_types = models.JSONField("đối tượng thực hiện", default=list, blank=True)
    procedure_type = models.CharField("loại thủ tục", max_length=255, blank=True)
    competent_agency = models.CharField("cơ quan có thẩm quyền", max_length=500, blank=True)
    implementing_agency = models.CharField("cơ quan thực hiện", max_length=500, blank=True)
    coordinating_agency = models.CharField("cơ quan phối hợp", max_length=500, blank=True)
    steps = models.TextField("trình tự thực hiện", blank=True)
    conditions = models.TextField("yêu cầu, điều kiện", blank=True)
    legal_bases = models.JSONField("căn cứ pháp lý", default=list, blank=True, help_text='[{"name":..., "number":...}]')
    results = models.JSONField("kết quả thực hiện", default=list, blank=True, help_text='[{"code":..., "name":...}]')
    publishing_decision = models.CharField("quyết định công bố", max_length=255, blank=True)
    channels_raw = models.TextField("cách thức thực hiện (nguyên văn)", blank=True)
    components_raw = models.TextField("thành phần hồ sơ (nguyên văn)", blank=True)
    source_url = models.URLField("nguồn", max_length=500, blank=True)
    popularity = models.PositiveIntegerField("mức độ phổ biến", default=0)
    is_active = models.BooleanField("đang áp dụng", default=True)
    version = models.PositiveIntegerField("phiên bản", default=1)
    updated_at = models.DateTimeField(auto_now=True)
    search_text = models.TextField(blank=True, help_text="Dạng không dấu của mã, tên và lĩnh vực, dùng để tìm kiếm.")
    levels_key = models.CharField(max_length=80, blank=True, help_text="Các cấp, cách nhau bởi dấu cách, để lọc nhanh.")
    legal_bases_raw = models.TextField("căn cứ pháp lý (nguyên văn)", blank=True)
    results_raw = models.TextField("kết quả (nguyên văn)", blank=True)
    unparsed = models.JSONField(
        "nội dung chưa phân tích được", default=dict, blank=True, help_text="Đoạn nguyên văn theo mục khi không đọc được."
    )

    class Meta:
        verbose_name = "thủ tục hành chính"
        verbose_name_plural = "thủ tục hành chính"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    def refresh_search_text(self) -> None:
        """Folded name, field and code, with a leading space so that ``LIKE '% word%'`` finds word
        prefixes and can use the trigram index on PostgreSQL."""
        name = fold(self.name)
        # "Thủ tục đăng ký khai sinh" should rank like "Đăng ký khai sinh": the prefix goes last.
        prefix = name.startswith("thu tuc ")
        parts = [name[8:] if prefix else name, fold(self.field.name) if self.field_id and self.field else "", fold(self.code)]
        if prefix:
            parts.append("thu tuc")
        self.search_text = " " + " ".join(p for p in parts if p)
        self.levels_key = " " + " ".join(self.levels or []) + " "

    def save(self, *args, **kwargs):
        self.refresh_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text", "levels_key"}
        super().save(*args, **kwargs)


class SearchEntry(models.Model):
    """A narrow copy of what search reads of each procedure (``search_text`` with a trailing space).

    Scanning and ranking thousands of matches is several times cheaper here than on the wide
    procedure rows. Written only by database triggers on ``catalog_procedure`` (migration 0004),
    so bulk inserts and ``QuerySet.update()`` keep it in sync too; never write it from Python.
    """

    procedure = models.OneToOneField(
        Procedure, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="search_entry"
    )
    search_text = models.TextField()
    levels_key = models.CharField(max_length=80, blank=True)
    field = models.ForeignKey(Field, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    popularity = models.BigIntegerField(default=0)
    name_length = models.IntegerField(default=0)
    code = models.CharField(max_length=20)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "mục tìm kiếm"
        verbose_name_plural = "mục tìm kiếm"


class CatalogueVersion(models.Model):
    """One row (id 1) whose ``token`` changes on every write to procedures, fields or online
    services.

    Set only by database triggers (migrations 0006, 0007), so that every way of writing (``save()``,
    ``update()``, ``bulk_create()``, imports, raw SQL) is seen; never reused, even after a rollback
    (a sequence on PostgreSQL, random on SQLite). Processes compare it with the version their
    in-memory search index was built at (``search.py``).
    """

    token = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "phiên bản danh mục"
        verbose_name_plural = "phiên bản danh mục"


class ProcedureVersion(models.Model):
    """An immutable snapshot of a procedure's content; dossiers reference the one they used."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "phiên bản thủ tục"
        verbose_name_plural = "phiên bản thủ tục"
        constraints = [models.UniqueConstraint(fields=["procedure", "number"], name="unique_procedure_version")]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number}"


class ProcedureCase(models.Model):
    """Trường hợp: a variant of a procedure with its own components or time."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="cases")
    name = models.CharField("tên trường hợp", max_length=500)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "trường hợp"
        verbose_name_plural = "trường hợp"
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class ProcedureChannel(models.Model):
    """How a procedure can be done through one channel, with its legal processing time."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="channels")
    case = models.ForeignKey(ProcedureCase, null=True, blank=True, on_delete=models.CASCADE)
    channel = models.PositiveSmallIntegerField("kênh", choices=Channel.choices)
    duration_value = models.DecimalField("thời hạn", max_digits=8, decimal_places=2, null=True, blank=True)
    duration_unit = models.CharField("đơn vị", max_length=20, choices=DurationUnit.choices, blank=True)
    description = models.TextField("mô tả", blank=True)
    raw_text = models.TextField("nguyên văn", blank=True)

    class Meta:
        verbose_name = "cách thức thực hiện"
        verbose_name_plural = "cách thức thực hiện"
        ordering = ["channel", "id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.duration_value or '?'} {self.get_duration_unit_display()}"


class Fee(models.Model):
    """Phí or lệ phí of a channel, in VND; ``amount`` 0 means free."""

    class Kind(models.TextChoices):
        CHARGE = "phi", "Phí"
        FEE = "le_phi", "Lệ phí"

    channel = models.ForeignKey(ProcedureChannel, on_delete=models.CASCADE, related_name="fees")
    kind = models.CharField("loại", max_length=10, choices=Kind.choices, default=Kind.FEE)
    amount = models.PositiveBigIntegerField("số tiền (VND)", default=0)
    currency = models.CharField("đơn vị tiền", max_length=3, default="VND")
    description = models.TextField("mô tả", blank=True)

    class Meta:
        verbose_name = "phí, lệ phí"
        verbose_name_plural = "phí, lệ phí"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:,} đ"


class EForm(models.Model):
    """An e-form: JSON Schema for validation plus UI hints for server-side rendering."""

    code = models.CharField("mã", max_length=60, unique=True)
    name = models.CharField("tên", max_length=255)
    schema = models.JSONField("JSON Schema")
    ui = models.JSONField("gợi ý giao diện", default=dict, blank=True)

    class Meta:
        verbose_name = "biểu mẫu điện tử"
        verbose_name_plural = "biểu mẫu điện tử"

    def __str__(self) -> str:
        return self.name


class DocumentComponent(models.Model):
    """Thành phần hồ sơ: a document the applicant provides."""

    class Form(models.TextChoices):
        ORIGINAL = "original", "Bản chính"
        COPY = "copy", "Bản sao"
        CERTIFIED_COPY = "certified_copy", "Bản sao có chứng thực"
        ORIGINAL_OR_COPY = "original_or_copy", "Bản chính hoặc bản sao"

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="components")
    case = models.ForeignKey(ProcedureCase, null=True, blank=True, on_delete=models.CASCADE, related_name="components")
    code = models.CharField("mã giấy tờ", max_length=60, blank=True)
    name = models.TextField("tên giấy tờ")
    form = models.CharField("bản chính/bản sao", max_length=20, choices=Form.choices, default=Form.ORIGINAL)
    quantity = models.PositiveSmallIntegerField("số lượng", default=1)
    required = models.BooleanField("bắt buộc", default=True)
    template_name = models.CharField("mẫu đơn, tờ khai", max_length=255, blank=True)
    template_file = models.FileField("tệp mẫu", upload_to="catalog/templates/", blank=True)
    template_url = models.URLField("địa chỉ tải mẫu", max_length=500, blank=True)
    group = models.CharField("nhóm", max_length=255, blank=True, help_text="Vd. Giấy tờ phải nộp, Giấy tờ phải xuất trình")
    eform = models.ForeignKey(EForm, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="biểu mẫu điện tử")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "thành phần hồ sơ"
        verbose_name_plural = "thành phần hồ sơ"
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name[:80]


class OnlineService(models.Model):
    """The online service an agency offers for a procedure, and the points that receive it."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="online_services")
    agency = models.ForeignKey(
        "organisations.Agency", on_delete=models.CASCADE, related_name="online_services", verbose_name="cơ quan giải quyết"
    )
    service_level = models.CharField("mức độ", max_length=12, choices=ServiceLevel.choices)
    receiving_points = models.ManyToManyField(
        "organisations.Agency", blank=True, related_name="received_services", verbose_name="điểm tiếp nhận"
    )
    eform = models.ForeignKey(EForm, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="biểu mẫu điện tử")

    class Meta:
        verbose_name = "dịch vụ công trực tuyến"
        verbose_name_plural = "dịch vụ công trực tuyến"
        constraints = [models.UniqueConstraint(fields=["procedure", "agency"], name="unique_online_service")]

    def __str__(self) -> str:
        return f"{self.procedure.code} @ {self.agency} ({self.get_service_level_display()})"
