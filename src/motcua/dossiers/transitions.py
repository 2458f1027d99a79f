"""The dossier state machine as data: action -> allowed source statuses, target, who may do it.

``RESUME`` as a target means "the status the dossier had before it was paused" (after a
supplement or a payment). Roles are those of ``organisations.Role`` plus ``applicant`` (the
dossier's owner) and ``system`` (tasks, gateways).
"""

from __future__ import annotations

from dataclasses import dataclass

from motcua.dossiers.models import Status

RESUME = -1
APPLICANT = "applicant"
SYSTEM = "system"
STAFF_PROCESSING = ("specialist", "leader", "reception", "agency_admin")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[int, ...]
    target: int
    roles: tuple[str, ...]
    label: str


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("submit", (Status.DRAFT,), Status.SUBMITTED, (APPLICANT,), "Nộp hồ sơ trực tuyến"),
        Transition("receive_at_counter", (Status.DRAFT,), Status.ACCEPTED, ("reception",), "Tiếp nhận tại quầy"),
        Transition("accept", (Status.SUBMITTED,), Status.ACCEPTED, ("reception",), "Tiếp nhận hồ sơ"),
        Transition("refuse", (Status.SUBMITTED,), Status.REFUSED, ("reception",), "Từ chối tiếp nhận"),
        Transition("start_processing", (Status.ACCEPTED,), Status.PROCESSING, (*STAFF_PROCESSING, SYSTEM), "Chuyển xử lý"),
        Transition(
            "request_supplement",
            (Status.SUBMITTED, Status.ACCEPTED, Status.PROCESSING),
            Status.SUPPLEMENT_REQUESTED,
            STAFF_PROCESSING,
            "Yêu cầu bổ sung hồ sơ",
        ),
        Transition("supplement", (Status.SUPPLEMENT_REQUESTED,), RESUME, (APPLICANT, "reception"), "Bổ sung hồ sơ"),
        Transition(
            "request_payment",
            (Status.SUBMITTED, Status.ACCEPTED, Status.PROCESSING, Status.DECIDED),
            Status.PAYMENT_REQUESTED,
            (*STAFF_PROCESSING, SYSTEM),
            "Yêu cầu thực hiện nghĩa vụ tài chính",
        ),
        Transition("payment_received", (Status.PAYMENT_REQUESTED,), RESUME, (SYSTEM, "reception", "agency_admin"), "Đã thanh toán"),
        Transition(
            "withdraw",
            (Status.SUBMITTED, Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUESTED),
            Status.WITHDRAWN,
            (APPLICANT, "reception"),
            "Rút hồ sơ",
        ),
        Transition("stop", (Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUESTED), Status.STOPPED, ("leader",), "Dừng xử lý"),
        Transition("approve", (Status.PROCESSING,), Status.DECIDED, ("leader",), "Phê duyệt kết quả"),
        Transition("return_result", (Status.DECIDED,), Status.RETURNED, ("reception", SYSTEM), "Trả kết quả"),
    ]
}


def allowed_actions(status: int) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]
