"""Tell the applicant about every status change, by SMS and e-mail, through the outbox."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from motcua.dossiers import procedure_facts
from motcua.dossiers.models import Status

logger = logging.getLogger(__name__)

EXTRA = {
    Status.SUBMITTED: "Hồ sơ đã được gửi đến {agency}. Bạn sẽ nhận thông báo khi hồ sơ được tiếp nhận.",
    Status.ACCEPTED: "Hồ sơ đã được tiếp nhận.{appointment}",
    Status.REFUSED: "Hồ sơ không được tiếp nhận. Lý do: {note}",
    Status.PROCESSING: "Hồ sơ đang được xử lý.{appointment}",
    Status.SUPPLEMENT_REQUESTED: "Cơ quan yêu cầu bổ sung giấy tờ. Vui lòng đăng nhập, mục «Hồ sơ của tôi», để xem và bổ sung.",
    Status.PAYMENT_REQUESTED: "Vui lòng thực hiện nghĩa vụ tài chính (phí, lệ phí) để hồ sơ tiếp tục được xử lý.",
    Status.WITHDRAWN: "Yêu cầu rút hồ sơ của bạn đã được ghi nhận.",
    Status.STOPPED: "Hồ sơ đã dừng xử lý. Lý do: {note}",
    Status.DECIDED: "Hồ sơ đã có kết quả.",
    Status.RETURNED: "Kết quả đã được trả.",
}


def compose(dossier, event) -> tuple[str, str]:
    """(subject, body) in Vietnamese for the status the dossier has just reached."""
    status = Status(event.to_status)
    appointment = ""
    if dossier.appointment_at:
        appointment = f" Ngày hẹn trả kết quả: {timezone.localtime(dossier.appointment_at):%d/%m/%Y}."
    agency = procedure_facts.related_name(dossier, "receiving_agency")
    procedure = procedure_facts.related_name(dossier, "procedure")
    detail = EXTRA.get(status, "").format(agency=agency, appointment=appointment, note=(event.note or "không nêu")[:300])
    subject = f"Hồ sơ {dossier.code}: {status.label}"
    body = (
        f"Hồ sơ {dossier.code} ({procedure[:120]}) chuyển sang trạng thái «{status.label}». {detail}\n"
        f"Tra cứu: {settings.SITE_URL}/tra-cuu?ma={dossier.code}"
    )
    return subject, body


def notify_applicant(sender, dossier, event, transition, **kwargs):
    """Receiver of ``dossier_transitioned``: queue an SMS and an e-mail (whichever contacts exist)."""
    if event.to_status is None or not dossier.code:
        return
    from motcua.integrations.messaging import queue_messages

    subject, body = compose(dossier, event)
    messages = []
    if dossier.applicant_phone:
        sms = f"{subject}. {body.splitlines()[-1]}"
        messages.append(("sms", dossier.applicant_phone, subject, sms))
    if dossier.applicant_email:
        messages.append(("email", dossier.applicant_email, subject, body))
    queue_messages(messages)
