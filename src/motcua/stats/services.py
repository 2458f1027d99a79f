"""Business rules of statistics: who sees which agencies, targets and traffic lights, ratings,
and the dossiers behind a number (drill-down)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from motcua.core.text import nfc
from motcua.dossiers.models import Dossier, DossierEvent, Status
from motcua.organisations.models import Agency, Role
from motcua.stats import rollups
from motcua.stats.models import Indicator, Rating, Target

STATS_ROLES = (Role.MANAGER, Role.SYSTEM_ADMIN)


# --- agencies and permissions ---------------------------------------------------------------

class AgencyTree:
    """All agencies loaded once (id, parent, names): subtrees without recursive queries."""

    def __init__(self):
        self.nodes = {a["id"]: a for a in Agency.objects.values("id", "parent_id", "name", "short_name", "code")}
        self.children = defaultdict(list)
        for a in self.nodes.values():
            self.children[a["parent_id"]].append(a["id"])

    def subtree(self, root_ids) -> list[int]:
        seen, stack = set(), list(root_ids)
        while stack:
            node = stack.pop()
            if node in seen or node not in self.nodes:
                continue
            seen.add(node)
            stack.extend(self.children.get(node, ()))
        return sorted(seen)

    def name(self, agency_id) -> str:
        node = self.nodes.get(agency_id)
        return (node["short_name"] or node["name"]) if node else "—"

    def ancestors(self, agency_id) -> list[int]:
        chain, node = [], self.nodes.get(agency_id)
        while node and node["parent_id"]:
            chain.append(node["parent_id"])
            node = self.nodes.get(node["parent_id"])
        return chain


def can_view_stats(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return user.staff_roles.filter(role__in=STATS_ROLES).exists()


def visible_agency_ids(user, tree: AgencyTree) -> list[int] | None:
    """Agencies whose figures ``user`` may see: the subtrees of their manager/system-admin roles.

    ``None`` means every agency (superusers, and system administrators of a top-level agency).
    """
    if user.is_superuser:
        return None
    roots = list(user.staff_roles.filter(role__in=STATS_ROLES).values_list("agency_id", "role"))
    if any(role == Role.SYSTEM_ADMIN and tree.nodes.get(a, {}).get("parent_id") is None for a, role in roots):
        return None
    return tree.subtree([a for a, _ in roots])


# --- targets --------------------------------------------------------------------------------

DEFAULT_TARGETS = {Indicator.ONLINE_RATE: Decimal(50), Indicator.ONLINE_OFFERED: Decimal(80),
                   Indicator.DIGITISED: Decimal(80), Indicator.REUSED: Decimal(80), Indicator.SATISFACTION: Decimal(90)}


class Targets:
    """Targets resolved per agency: its own, else the nearest ancestor's, else the province default."""

    def __init__(self, tree: AgencyTree):
        self.tree = tree
        self.rows = {(t.agency_id, t.indicator): t for t in Target.objects.all()}

    def target(self, agency_id, indicator) -> tuple[Decimal, Decimal] | None:
        for candidate in ([agency_id, *self.tree.ancestors(agency_id)] if agency_id else []) + [None]:
            t = self.rows.get((candidate, indicator))
            if t:
                return t.minimum, t.amber_margin
        if indicator in DEFAULT_TARGETS:
            return DEFAULT_TARGETS[indicator], Decimal(10)
        return None

    def light(self, agency_id, indicator, value) -> str:
        """``green`` (target met), ``amber`` (within the margin below), ``red``, or ``none``."""
        target = self.target(agency_id, indicator)
        if value is None or target is None:
            return "none"
        minimum, margin = target
        if Decimal(str(value)) >= minimum:
            return "green"
        if Decimal(str(value)) >= minimum - margin:
            return "amber"
        return "red"


def set_target(indicator: str, minimum, agency=None, amber_margin=10) -> Target:
    if indicator not in Indicator.values:
        raise ValueError("Chỉ số không hợp lệ.")
    minimum = Decimal(str(minimum))
    if not 0 <= minimum <= 100:
        raise ValueError("Chỉ tiêu phải trong khoảng 0–100%.")
    target, _ = Target.objects.update_or_create(
        agency=agency, indicator=indicator, defaults={"minimum": minimum, "amber_margin": Decimal(str(amber_margin))}
    )
    return target


# --- ratings (5.4) --------------------------------------------------------------------------

class RatingError(ValueError):
    pass


def rate_dossier(dossier: Dossier, user, score: int, comment: str = "") -> Rating:
    """The applicant rates a dossier that has a result; one rating per dossier, counted at once."""
    try:
        score = int(score)
    except (TypeError, ValueError):
        raise RatingError("Điểm đánh giá phải là số từ 1 đến 5.") from None
    if not 1 <= score <= 5:
        raise RatingError("Điểm đánh giá phải là số từ 1 đến 5.")
    if dossier.status not in (Status.DECIDED, Status.RETURNED):
        raise RatingError("Chỉ đánh giá được hồ sơ đã có kết quả.")
    if user is not None and dossier.owner_id and dossier.owner_id != getattr(user, "pk", None):
        raise RatingError("Chỉ chủ hồ sơ mới được đánh giá hồ sơ này.")
    comment = nfc(comment or "").strip()[:2000]
    try:
        with transaction.atomic():
            rating = Rating.objects.create(dossier=dossier, user=user, score=score, comment=comment)
            rollups.add(dossier, rating.at, {"ratings": 1, "ratings_disliked": int(score <= 2), "rating_score_sum": score})
    except IntegrityError:
        raise RatingError("Hồ sơ này đã được đánh giá.") from None
    return rating


# --- drill-down -----------------------------------------------------------------------------

# Metrics whose event also stamps a dossier column: filtering on the column avoids a semi-join
# with the (much larger) event table. metric -> (column, extra filter)
COLUMN_METRICS = {
    "received": ("received_at", Q()),
    "received_online": ("received_at", Q(channel=2)),
    "received_counter": ("received_at", Q(channel=1)),
    "received_post": ("received_at", Q(channel=3)),
    "decided": ("decided_at", Q()),
    "electronic_result": ("decided_at", Q(has_electronic_result=True)),
    "digitised": ("decided_at", Q(is_digitised=True)),
    "reused": ("decided_at", Q(reuses_data=True)),
    "returned": ("returned_at", Q()),
}
# metric -> (event actions counted, extra dossier filter)
METRICS = {
    "received": (("accept", "receive_at_counter"), Q()),
    "received_online": (("accept", "receive_at_counter"), Q(channel=2)),
    "received_counter": (("accept", "receive_at_counter"), Q(channel=1)),
    "received_post": (("accept", "receive_at_counter"), Q(channel=3)),
    "refused": (("refuse",), Q()),
    "withdrawn": (("withdraw",), Q()),
    "stopped": (("stop",), Q()),
    "decided": (("approve",), Q()),
    "electronic_result": (("approve",), Q(has_electronic_result=True)),
    "digitised": (("approve",), Q(is_digitised=True)),
    "reused": (("approve",), Q(reuses_data=True)),
    "paid_online": (("payment_received",), Q(paid_online__gt=0)),
    "returned": (("return_result",), Q()),
}
METRIC_LABELS = {
    "received": "Hồ sơ tiếp nhận", "received_online": "Tiếp nhận trực tuyến", "received_counter": "Tiếp nhận trực tiếp",
    "received_post": "Tiếp nhận qua bưu chính", "refused": "Từ chối tiếp nhận", "withdrawn": "Rút hồ sơ",
    "stopped": "Dừng xử lý", "decided": "Đã giải quyết", "electronic_result": "Có kết quả điện tử",
    "digitised": "Được số hóa", "reused": "Tái sử dụng dữ liệu", "paid_online": "Thanh toán trực tuyến",
    "returned": "Đã trả kết quả", "backlog": "Đang giải quyết (hiện tại)", "overdue": "Quá hạn (hiện tại)",
}


def drill_down(metric: str, agency_ids, starts_at: dt.datetime, ends_at: dt.datetime, *,
               field_id=None, procedure_id=None, channel=None):
    """The dossiers behind a number of the dashboard, by the same rule as the rollups."""
    qs = Dossier.objects.all()
    if metric in ("backlog", "overdue"):
        qs = qs.filter(status__in=rollups.IN_PROGRESS)
        if metric == "overdue":
            qs = qs.filter(appointment_at__lt=timezone.now())
    elif metric in COLUMN_METRICS:
        column, extra = COLUMN_METRICS[metric]
        qs = qs.filter(extra, **{f"{column}__gte": starts_at, f"{column}__lt": ends_at})
    elif metric in METRICS:
        actions, extra = METRICS[metric]
        events = DossierEvent.objects.filter(action__in=actions, at__gte=starts_at, at__lt=ends_at)
        qs = qs.filter(extra, id__in=events.values("dossier_id"))
    else:
        raise ValueError("Chỉ tiêu cần xem chi tiết không hợp lệ.")
    if agency_ids is not None:
        qs = qs.filter(competent_agency_id__in=agency_ids)
    if field_id:
        qs = qs.filter(procedure__field_id=field_id)
    if procedure_id:
        qs = qs.filter(procedure_id=procedure_id)
    if channel:
        qs = qs.filter(channel=channel)
    return qs.select_related("procedure", "competent_agency").order_by("-received_at", "-id")
