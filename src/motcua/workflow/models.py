"""Working calendars, deadlines, workflow definitions (as data) and the tasks of each dossier."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from motcua.catalog.models import DurationUnit
from motcua.organisations.models import Role

DEFAULT_PERIODS = [["07:30", "11:30"], ["13:00", "17:00"]]
DEFAULT_WEEKDAYS = [0, 1, 2, 3, 4]  # Monday to Friday


def default_periods() -> list:
    return [list(p) for p in DEFAULT_PERIODS]


def default_weekdays() -> list:
    return list(DEFAULT_WEEKDAYS)


def parse_hhmm(value: str) -> dt.time:
    try:
        hours, minutes = str(value).split(":")
        return dt.time(int(hours), int(minutes))
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"Giờ không hợp lệ: «{value}» (định dạng HH:MM).") from exc


class WorkingCalendar(models.Model):
    """Working hours of an agency (or the default one when ``agency`` is empty)."""

    agency = models.OneToOneField(
        "organisations.Agency",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="working_calendar",
        verbose_name="cơ quan",
        help_text="Để trống: lịch mặc định cho các cơ quan không có lịch riêng.",
    )
    name = models.CharField("tên lịch", max_length=200)
    periods = models.JSONField(
        "khung giờ làm việc",
        default=default_periods,
        help_text='Danh sách khung giờ trong ngày, vd. [["07:30","11:30"],["13:00","17:00"]].',
    )
    weekdays = models.JSONField(
        "ngày làm việc trong tuần", default=default_weekdays, help_text="0 = Thứ Hai … 6 = Chủ nhật."
    )

    class Meta:
        verbose_name = "lịch làm việc"
        verbose_name_plural = "lịch làm việc"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.periods, list) or not self.periods:
            raise ValidationError({"periods": "Cần ít nhất một khung giờ làm việc."})
        previous_end = None
        for period in self.periods:
            if not isinstance(period, (list, tuple)) or len(period) != 2:
                raise ValidationError({"periods": "Mỗi khung giờ gồm giờ bắt đầu và giờ kết thúc."})
            start, end = parse_hhmm(period[0]), parse_hhmm(period[1])
            if start >= end:
                raise ValidationError({"periods": f"Khung giờ {period[0]}–{period[1]}: giờ bắt đầu phải trước giờ kết thúc."})
            if previous_end is not None and start < previous_end:
                raise ValidationError({"periods": "Các khung giờ phải theo thứ tự và không chồng lấn."})
            previous_end = end
        if not isinstance(self.weekdays, list) or any(d not in range(7) for d in self.weekdays):
            raise ValidationError({"weekdays": "Ngày trong tuần là số từ 0 (Thứ Hai) đến 6 (Chủ nhật)."})


class CalendarDay(models.Model):
    """A day that differs from the weekly pattern: a holiday, a swapped working Saturday, a swapped day off.

    Rows without a calendar are national (they apply to every calendar); rows of one calendar
    override the national ones for that calendar.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "Ngày nghỉ lễ, Tết"
        SWAPPED_WORKDAY = "swapped_workday", "Ngày làm bù (thứ Bảy/Chủ nhật đi làm)"
        SWAPPED_DAY_OFF = "swapped_day_off", "Ngày nghỉ hoán đổi"
        OTHER = "other", "Khác"

    class Source(models.TextChoices):
        LIBRARY = "holidays", "Thư viện holidays (VN)"
        ADMIN = "admin", "Quản trị viên"

    calendar = models.ForeignKey(
        WorkingCalendar,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="days",
        verbose_name="lịch",
        help_text="Để trống: áp dụng cho mọi cơ quan.",
    )
    date = models.DateField("ngày", db_index=True)
    is_working = models.BooleanField("là ngày làm việc", default=False)
    kind = models.CharField("loại", max_length=20, choices=Kind.choices, default=Kind.HOLIDAY)
    reason = models.CharField("lý do", max_length=255, blank=True)
    source = models.CharField("nguồn", max_length=10, choices=Source.choices, default=Source.ADMIN)

    class Meta:
        verbose_name = "ngày nghỉ, ngày làm bù"
        verbose_name_plural = "ngày nghỉ, ngày làm bù"
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="unique_calendar_day"),
            models.UniqueConstraint(
                fields=["date"], condition=models.Q(calendar__isnull=True), name="unique_national_calendar_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} – {self.reason or self.get_kind_display()}"


class SeededYear(models.Model):
    """Marks a year whose national days were loaded from the ``holidays`` package."""

    year = models.PositiveIntegerField(primary_key=True)
    seeded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "năm đã nạp ngày nghỉ"
        verbose_name_plural = "năm đã nạp ngày nghỉ"


class DeadlineWarning(models.Model):
    """One warning per dossier, level and due date (so a warning is never sent twice)."""

    class Level(models.TextChoices):
        SOON = "soon", "Sắp đến hạn"
        OVERDUE = "overdue", "Quá hạn"

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="deadline_warnings")
    level = models.CharField("mức", max_length=10, choices=Level.choices)
    due_at = models.DateTimeField("hạn")
    created_at = models.DateTimeField(auto_now_add=True)
    notified = models.CharField("đã báo cho", max_length=255, blank=True)

    class Meta:
        verbose_name = "cảnh báo hạn xử lý"
        verbose_name_plural = "cảnh báo hạn xử lý"
        constraints = [
            models.UniqueConstraint(fields=["dossier", "level", "due_at"], name="unique_deadline_warning")
        ]


class DeadlineExtension(models.Model):
    """The apology with a new appointment date (Phiếu xin lỗi và hẹn lại ngày trả kết quả)."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="deadline_extensions")
    old_date = models.DateTimeField("ngày hẹn cũ", null=True, blank=True)
    new_date = models.DateTimeField("ngày hẹn mới")
    reason = models.TextField("lý do")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    agency = models.ForeignKey("organisations.Agency", null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "xin lỗi và hẹn lại"
        verbose_name_plural = "xin lỗi và hẹn lại"
        ordering = ["created_at", "id"]


# --- Workflow definitions -------------------------------------------------------------------


class StepAction(models.TextChoices):
    FORWARD = "forward", "Chuyển bước tiếp theo"
    RETURN = "return", "Trả lại bước trước"
    REQUEST_SUPPLEMENT = "request_supplement", "Yêu cầu bổ sung"
    REQUEST_PAYMENT = "request_payment", "Yêu cầu nghĩa vụ tài chính"
    APPROVE = "approve", "Phê duyệt"
    REFUSE = "refuse", "Từ chối"
    STOP = "stop", "Dừng xử lý"
    TRANSFER = "transfer", "Chuyển liên thông"


class WorkflowDefinition(models.Model):
    """A processing workflow for a procedure (and case); no procedure = the default workflow."""

    procedure = models.ForeignKey(
        "catalog.Procedure",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="workflow_definitions",
        verbose_name="thủ tục",
    )
    case = models.ForeignKey(
        "catalog.ProcedureCase", null=True, blank=True, on_delete=models.CASCADE, verbose_name="trường hợp"
    )
    name = models.CharField("tên quy trình", max_length=255)
    version = models.PositiveIntegerField("phiên bản", default=1)
    is_active = models.BooleanField("đang áp dụng", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped whenever a step or a step transition of the definition is saved or deleted: the
    # per-process cache of the graph (definitions.graph) is keyed on it.
    revision = models.PositiveIntegerField("lần sửa", default=0, editable=False)

    class Meta:
        verbose_name = "quy trình xử lý"
        verbose_name_plural = "quy trình xử lý"
        ordering = ["procedure_id", "case_id", "-version"]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    @property
    def is_used(self) -> bool:
        return self.dossier_workflows.exists()


class WorkflowStep(models.Model):
    definition = models.ForeignKey(WorkflowDefinition, on_delete=models.CASCADE, related_name="steps")
    code = models.SlugField("mã bước", max_length=40)
    name = models.CharField("tên bước", max_length=200)
    role = models.CharField("vai trò", max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        "organisations.Agency", null=True, blank=True, on_delete=models.SET_NULL, verbose_name="phòng/bộ phận"
    )
    at_receiving_agency = models.BooleanField(
        "tại nơi tiếp nhận", default=False, help_text="Bước do Bộ phận Một cửa nơi tiếp nhận thực hiện."
    )
    budget_value = models.DecimalField("thời hạn bước", max_digits=8, decimal_places=2, null=True, blank=True)
    budget_unit = models.CharField(
        "đơn vị", max_length=20, choices=DurationUnit.choices, default=DurationUnit.WORKING_HOURS, blank=True
    )
    actions = models.JSONField("thao tác được phép", default=list, blank=True)
    is_start = models.BooleanField("bước bắt đầu", default=False)
    is_end = models.BooleanField("bước kết thúc", default=False)
    order = models.PositiveSmallIntegerField("thứ tự", default=0)

    class Meta:
        verbose_name = "bước xử lý"
        verbose_name_plural = "bước xử lý"
        ordering = ["definition_id", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["definition", "code"], name="unique_step_code")]

    def __str__(self) -> str:
        return self.name

    @property
    def action_labels(self) -> list[str]:
        return [StepAction(a).label for a in self.actions or [] if a in StepAction.values]

    def clean(self) -> None:
        bad = [a for a in self.actions or [] if a not in StepAction.values]
        if bad:
            raise ValidationError({"actions": f"Thao tác không hợp lệ: {', '.join(map(str, bad))}"})


class WorkflowStepTransition(models.Model):
    from_step = models.ForeignKey(WorkflowStep, on_delete=models.CASCADE, related_name="outgoing")
    action = models.CharField("thao tác", max_length=20, choices=StepAction.choices)
    to_step = models.ForeignKey(WorkflowStep, on_delete=models.CASCADE, related_name="incoming")

    class Meta:
        verbose_name = "chuyển bước"
        verbose_name_plural = "chuyển bước"
        constraints = [models.UniqueConstraint(fields=["from_step", "action"], name="unique_step_action")]

    def __str__(self) -> str:
        return f"{self.from_step.code} –{self.action}→ {self.to_step.code}"


class DossierWorkflow(models.Model):
    """The definition version a dossier started with (kept even when the definition changes)."""

    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.CASCADE, related_name="workflow")
    definition = models.ForeignKey(WorkflowDefinition, on_delete=models.PROTECT, related_name="dossier_workflows")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "quy trình của hồ sơ"
        verbose_name_plural = "quy trình của hồ sơ"


class Task(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Chờ nhận"
        CLAIMED = "claimed", "Đang xử lý"
        DONE = "done", "Đã xong"

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="tasks")
    step = models.ForeignKey(WorkflowStep, on_delete=models.PROTECT, related_name="tasks")
    agency = models.ForeignKey("organisations.Agency", on_delete=models.PROTECT, related_name="tasks")
    unit = models.ForeignKey(
        "organisations.Agency", null=True, blank=True, on_delete=models.SET_NULL, related_name="unit_tasks"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    status = models.CharField("trạng thái", max_length=8, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField("bắt đầu")
    due_at = models.DateTimeField("hạn", null=True, blank=True)
    finished_at = models.DateTimeField("kết thúc", null=True, blank=True)
    outcome = models.CharField("kết quả", max_length=30, blank=True)
    note = models.TextField("ghi chú", blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    returns_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Nhiệm vụ liên thông: nhiệm vụ nhận lại hồ sơ khi cơ quan phối hợp xử lý xong.",
    )

    class Meta:
        verbose_name = "nhiệm vụ"
        verbose_name_plural = "nhiệm vụ"
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["agency", "status", "due_at"], name="task_inbox_idx"),
            models.Index(fields=["assignee", "status", "due_at"], name="task_mine_idx"),
            models.Index(fields=["dossier", "status"], name="task_dossier_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.step.name} – {self.dossier}"


class AgencyHolding(models.Model):
    """Which agency held a dossier from when to when (liên thông), to attribute lateness."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="holdings")
    agency = models.ForeignKey("organisations.Agency", on_delete=models.PROTECT, related_name="holdings")
    started_at = models.DateTimeField("từ")
    ended_at = models.DateTimeField("đến", null=True, blank=True)
    reason = models.CharField("lý do", max_length=255, blank=True)

    class Meta:
        verbose_name = "thời gian cơ quan giữ hồ sơ"
        verbose_name_plural = "thời gian cơ quan giữ hồ sơ"
        ordering = ["started_at", "id"]
