"""Statistics: rollups maintained from dossier events, backlog snapshots, targets and ratings.

No page reads the dossier table to draw figures: ``DailyRollup``/``MonthlyRollup`` are counters
incremented by the ``dossier_transitioned`` receiver (one upsert each) and rebuilt set-based by
``motcua rebuild-stats``; ``BacklogSnapshot`` holds the work in progress (and how much of it is past
its appointment) now and at each month end, refreshed by a periodic task.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

# Counter columns shared by the daily and monthly rollups (name -> label).
COUNTERS = {
    "received": "Tiếp nhận",
    "received_online": "Tiếp nhận trực tuyến",
    "received_counter": "Tiếp nhận trực tiếp",
    "received_post": "Tiếp nhận qua bưu chính",
    "refused": "Từ chối tiếp nhận",
    "withdrawn": "Rút hồ sơ",
    "stopped": "Dừng xử lý",
    "supplements": "Yêu cầu bổ sung",
    "decided_total": "Đã giải quyết",
    "decided_early": "Giải quyết trước hạn",
    "decided_on_time": "Giải quyết đúng hạn",
    "decided_late": "Giải quyết quá hạn",
    "processing_seconds_sum": "Tổng thời gian giải quyết (giây)",
    "processing_working_days_sum": "Tổng thời gian giải quyết (ngày làm việc)",
    "electronic_result": "Có kết quả điện tử",
    "digitised": "Được số hóa",
    "reused": "Tái sử dụng dữ liệu",
    "fee_bearing": "Yêu cầu nộp phí, lệ phí",
    "paid_online": "Thanh toán trực tuyến",
    "returned": "Đã trả kết quả",
    "ratings": "Lượt đánh giá",
    "ratings_disliked": "Đánh giá không hài lòng",
    "rating_score_sum": "Tổng điểm đánh giá",
}


class RollupBase(models.Model):
    agency = models.ForeignKey("organisations.Agency", on_delete=models.CASCADE, related_name="+")
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.CASCADE, related_name="+")
    field = models.ForeignKey("catalog.Field", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.PositiveSmallIntegerField()

    received = models.IntegerField(default=0)
    received_online = models.IntegerField(default=0)
    received_counter = models.IntegerField(default=0)
    received_post = models.IntegerField(default=0)
    refused = models.IntegerField(default=0)
    withdrawn = models.IntegerField(default=0)
    stopped = models.IntegerField(default=0)
    supplements = models.IntegerField(default=0)
    decided_total = models.IntegerField(default=0)
    decided_early = models.IntegerField(default=0)
    decided_on_time = models.IntegerField(default=0)
    decided_late = models.IntegerField(default=0)
    processing_seconds_sum = models.BigIntegerField(default=0)
    processing_working_days_sum = models.FloatField(default=0)
    electronic_result = models.IntegerField(default=0)
    digitised = models.IntegerField(default=0)
    reused = models.IntegerField(default=0)
    fee_bearing = models.IntegerField(default=0)
    paid_online = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    ratings = models.IntegerField(default=0)
    ratings_disliked = models.IntegerField(default=0)
    rating_score_sum = models.IntegerField(default=0)

    class Meta:
        abstract = True


class DailyRollup(RollupBase):
    """Counters of one local day × competent agency × procedure × channel."""

    day = models.DateField()

    class Meta:
        verbose_name = "số liệu ngày"
        verbose_name_plural = "số liệu ngày"
        constraints = [
            models.UniqueConstraint(fields=["day", "agency", "procedure", "channel"], name="unique_daily_rollup")
        ]
        indexes = [models.Index(fields=["agency", "day"], name="daily_rollup_agency_day")]


class MonthlyRollup(RollupBase):
    """The same counters per month (``month`` is the first day): what dashboards read."""

    month = models.DateField()

    class Meta:
        verbose_name = "số liệu tháng"
        verbose_name_plural = "số liệu tháng"
        constraints = [
            models.UniqueConstraint(fields=["month", "agency", "procedure", "channel"], name="unique_monthly_rollup")
        ]
        indexes = [models.Index(fields=["month", "agency"], name="monthly_rollup_month_agency")]


class BacklogSnapshot(models.Model):
    """Dossiers received and not finished at ``as_of``, and how many were past their appointment.

    ``kind`` is ``current`` (replaced by the periodic task) or ``month_end`` (as_of = last day of a
    month, kept for the 2.1 "still in progress at period end" part).
    """

    class Kind(models.TextChoices):
        CURRENT = "current", "Hiện tại"
        MONTH_END = "month_end", "Cuối tháng"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    as_of = models.DateTimeField()
    agency = models.ForeignKey("organisations.Agency", on_delete=models.CASCADE, related_name="+")
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.CASCADE, related_name="+")
    field = models.ForeignKey("catalog.Field", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.PositiveSmallIntegerField()
    in_progress = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)

    class Meta:
        verbose_name = "hồ sơ tồn"
        verbose_name_plural = "hồ sơ tồn"
        indexes = [models.Index(fields=["kind", "as_of"], name="backlog_kind_as_of")]


class WorkDay(models.Model):
    """Calendar of working days: ``ordinal`` counts working days before ``day``, so the working days
    between two dates is a difference of ordinals (set-based in SQL)."""

    day = models.DateField(primary_key=True)
    ordinal = models.IntegerField()
    is_working = models.BooleanField()


class Indicator(models.TextChoices):
    ONLINE_RATE = "3.3", "Tỷ lệ hồ sơ trực tuyến"
    ON_TIME_RATE = "2.1", "Tỷ lệ giải quyết đúng và trước hạn"
    ONLINE_OFFERED = "3.1", "Tỷ lệ TTHC cung cấp trực tuyến"
    ONLINE_USED = "3.2", "Tỷ lệ DVCTT phát sinh hồ sơ"
    PAID_ONLINE = "3.6", "Tỷ lệ thanh toán trực tuyến"
    ELECTRONIC_RESULT = "4.1", "Tỷ lệ cấp kết quả điện tử"
    DIGITISED = "4.2", "Tỷ lệ số hóa hồ sơ"
    REUSED = "4.3", "Tỷ lệ tái sử dụng dữ liệu"
    SATISFACTION = "5.4", "Mức độ hài lòng"


class Target(models.Model):
    """A province's target for an indicator: for one agency, or the default when agency is empty."""

    agency = models.ForeignKey(
        "organisations.Agency", null=True, blank=True, on_delete=models.CASCADE, verbose_name="cơ quan"
    )
    indicator = models.CharField("chỉ số", max_length=5, choices=Indicator.choices)
    minimum = models.DecimalField("mức tối thiểu (%)", max_digits=5, decimal_places=2,
                                  validators=[MinValueValidator(0), MaxValueValidator(100)])
    amber_margin = models.DecimalField(
        "biên cảnh báo (điểm %)", max_digits=5, decimal_places=2, default=10,
        help_text="Dưới mức tối thiểu không quá biên này: vàng; thấp hơn nữa: đỏ.",
    )

    class Meta:
        verbose_name = "chỉ tiêu"
        verbose_name_plural = "chỉ tiêu"
        constraints = [
            models.UniqueConstraint(fields=["agency", "indicator"], name="unique_target"),
            models.UniqueConstraint(fields=["indicator"], condition=models.Q(agency=None), name="unique_default_target"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} ≥ {self.minimum}% ({self.agency or 'mặc định'})"


class Rating(models.Model):
    """A citizen's rating of how a dossier was handled (5.4): score 1-5, 1-2 count as dislikes."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="ratings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    score = models.PositiveSmallIntegerField("điểm", validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField("nhận xét", blank=True, max_length=2000)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "đánh giá"
        verbose_name_plural = "đánh giá"
        constraints = [models.UniqueConstraint(fields=["dossier"], name="one_rating_per_dossier")]

    @property
    def liked(self) -> bool:
        return self.score >= 3
