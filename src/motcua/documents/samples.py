"""A sample dossier with a realistic history, for previews of forms (admin, ``preview-forms``) and tests.

``sample_preview()`` builds it inside a transaction that is always rolled back, so previews never
leave data behind.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone


class _Rollback(Exception):
    pass


def build_sample_dossier(*, code: str = "000.00.01.H31-261105-0007", suffix: str = ""):
    """Create a province committee, its service centre and justice department, a procedure,
    a dossier and its events (submit, accept, start, supplement, transfer, stop…)."""
    from motcua.accounts.models import User
    from motcua.catalog.models import Channel, DocumentComponent, EForm, OnlineService, Procedure, ProcedureChannel
    from motcua.dossiers.models import Attachment, Dossier, DossierEvent, Status
    from motcua.organisations.models import AdministrativeUnit, Agency, Role, StaffRole

    unit, _ = AdministrativeUnit.objects.get_or_create(
        key=AdministrativeUnit.make_key("31", "province", False),
        defaults={"code": "31", "name": "Thành phố Hải Phòng", "unit_type": "Thành phố", "level": "province"},
    )
    province, _ = Agency.objects.get_or_create(
        code=f"000.00.00.H31{suffix}",
        defaults={"name": "Ủy ban nhân dân thành phố Hải Phòng", "kind": "province_committee", "level": "province",
                  "administrative_unit": unit},
    )
    centre, _ = Agency.objects.get_or_create(
        code=f"000.00.01.H31{suffix}",
        defaults={
            "name": "Trung tâm Phục vụ hành chính công thành phố",
            "kind": "service_centre",
            "level": "province",
            "parent": province,
            "is_service_point": True,
            "phone": "0225 3 123 456",
        },
    )
    justice, _ = Agency.objects.get_or_create(
        code=f"000.00.12.H31{suffix}",
        defaults={"name": "Sở Tư pháp thành phố Hải Phòng", "kind": "department", "level": "province", "parent": province},
    )
    procedure, _ = Procedure.objects.get_or_create(
        code=f"1.001193{suffix}",
        defaults={"name": "Thủ tục đăng ký khai sinh có yếu tố nước ngoài", "levels": ["province"]},
    )
    ProcedureChannel.objects.get_or_create(
        procedure=procedure, channel=Channel.ONLINE, defaults={"duration_value": 15, "duration_unit": "working_days"}
    )
    eform, _ = EForm.objects.get_or_create(
        code=f"to-khai-khai-sinh-mau{suffix}",
        defaults={
            "name": "Tờ khai đăng ký khai sinh",
            "schema": {
                "type": "object",
                "properties": {
                    "ten_tre": {"type": "string", "title": "Họ, chữ đệm, tên người được khai sinh"},
                    "ngay_sinh": {"type": "string", "title": "Ngày, tháng, năm sinh"},
                    "noi_sinh": {"type": "string", "title": "Nơi sinh"},
                },
            },
        },
    )
    OnlineService.objects.get_or_create(
        procedure=procedure, agency=justice, defaults={"service_level": "full", "eform": eform}
    )
    comp1, _ = DocumentComponent.objects.get_or_create(
        procedure=procedure, name="Tờ khai đăng ký khai sinh theo mẫu", defaults={"form": "original", "order": 1}
    )
    comp2, _ = DocumentComponent.objects.get_or_create(
        procedure=procedure, name="Giấy chứng sinh hoặc văn bản thay giấy chứng sinh", defaults={"form": "original", "order": 2}
    )
    comp3, _ = DocumentComponent.objects.get_or_create(
        procedure=procedure, name="Văn bản thỏa thuận chọn quốc tịch cho con", defaults={"form": "copy", "order": 3}
    )

    def staff(username, name, agency, role):
        user, _ = User.objects.get_or_create(
            username=f"{username}{suffix}", defaults={"full_name": name, "kind": User.Kind.STAFF}
        )
        StaffRole.objects.get_or_create(user=user, agency=agency, role=role)
        return user

    receptionist = staff("tiepnhan.mau", "Nguyễn Thị Hạnh", centre, Role.RECEPTION)
    specialist = staff("chuyenvien.mau", "Trần Văn Đức", justice, Role.SPECIALIST)
    leader = staff("lanhdao.mau", "Phạm Quốc Việt", justice, Role.LEADER)
    citizen, _ = User.objects.get_or_create(
        username=f"0912345678{suffix}", defaults={"full_name": "Lê Thị Thu Hằng", "kind": User.Kind.CITIZEN}
    )

    start = timezone.make_aware(dt.datetime(2026, 11, 2, 8, 15))
    dossier = Dossier.objects.create(
        code=code,
        procedure=procedure,
        receiving_agency=centre,
        competent_agency=justice,
        current_agency=justice,
        owner=citizen,
        applicant_name="Lê Thị Thu Hằng",
        applicant_identity="031190001234",
        applicant_phone="0912345678",
        applicant_email="hang.le@example.vn",
        applicant_address="Số 12 đường Lạch Tray, phường Ngô Quyền, thành phố Hải Phòng",
        summary="Đăng ký khai sinh cho cháu Nguyễn Lê Minh Anh",
        form_data={"ten_tre": "Nguyễn Lê Minh Anh", "ngay_sinh": "20/10/2026", "noi_sinh": "Bệnh viện Phụ sản Hải Phòng"},
        status=Status.STOPPED,
        submitted_at=start,
        received_at=start + dt.timedelta(hours=2),
        appointment_at=timezone.make_aware(dt.datetime(2026, 11, 23, 16, 30)),
    )
    for comp in (comp1, comp2, comp3):
        Attachment.objects.create(
            dossier=dossier, component=comp, file=f"sample/{comp.pk}.pdf", original_name=f"{comp.pk}.pdf",
            content_type="application/pdf", size=1000, sha256=f"{comp.pk:064d}",
        )
    history = [
        ("submit", 0, 1, None, "applicant", None, "", {}),
        ("accept", 1, 2, receptionist, "reception", centre, "Hồ sơ đầy đủ, hợp lệ", {}),
        ("start_processing", 2, 4, receptionist, "reception", centre, "Chuyển Sở Tư pháp",
         {"to_agency_name": justice.name, "to_user_name": specialist.full_name}),
        ("request_supplement", 4, 5, specialist, "specialist", justice, "Bổ sung giấy tờ còn thiếu",
         {"items": [{"component_id": comp3.pk, "name": comp3.name, "note": "Cần bản sao có chứng thực"},
                    {"component_id": None, "name": "Giấy tờ chứng minh nơi cư trú của cha", "note": "Bản sao hoặc bản điện tử"}],
          "note": "Bổ sung trong 10 ngày làm việc"}),
        ("supplement", 5, 4, None, "applicant", None, "Đã bổ sung", {}),
        ("stop", 4, 8, leader, "leader", justice, "Người yêu cầu không cung cấp được văn bản thỏa thuận chọn quốc tịch", {}),
    ]
    for index, (action, src, dst, actor, role, agency, note, data) in enumerate(history):
        DossierEvent.objects.create(
            dossier=dossier, action=action, from_status=src, to_status=dst, actor=actor, actor_role=role,
            agency=agency, at=start + dt.timedelta(days=index, hours=index), note=note, data=data,
        )
    return dossier


@contextmanager
def sample_preview():
    """Yield a sample dossier that disappears (rolled back) afterwards."""
    from motcua.dossiers.models import Dossier

    code = "000.00.01.H31-261105-0007"
    suffix = ""
    if Dossier.objects.filter(code=code).exists():  # never collide with real (or test) data
        suffix, code = "-MAU", "000.00.01.H31-MAU-261105-0007"
    try:
        with transaction.atomic():
            yield build_sample_dossier(code=code, suffix=suffix)
            raise _Rollback
    except _Rollback:
        pass
