import pytest

from motcua.dossiers.services import Actor, transition
from motcua.dossiers.submission import submit

pytestmark = pytest.mark.django_db


def test_every_status_change_notifies_the_applicant(complete_draft, citizen, django_capture_on_commit_callbacks):
    from motcua.integrations.models import OutboxMessage

    with django_capture_on_commit_callbacks(execute=True):
        submit(complete_draft, citizen)
    with django_capture_on_commit_callbacks(execute=True):
        transition(complete_draft, "refuse", Actor(None, "reception"), note="Không thuộc thẩm quyền")
    sms = list(OutboxMessage.objects.filter(channel="sms", recipient="0912345678").order_by("id").values_list("subject", "body"))
    assert [s for s, _ in sms] == [
        f"Hồ sơ {complete_draft.code}: Mới đăng ký",
        f"Hồ sơ {complete_draft.code}: Không được tiếp nhận",
    ]
    assert f"/tra-cuu?ma={complete_draft.code}" in sms[0][1]
    email = OutboxMessage.objects.filter(channel="email", recipient="an@example.vn").order_by("id").last()
    assert "Lý do: Không thuộc thẩm quyền" in email.body
